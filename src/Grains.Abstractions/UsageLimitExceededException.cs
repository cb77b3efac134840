namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A usage query asks for more than one answer may hold (windows, group values, distinct values): the request is at
/// fault and would fail again as it is. HTTP 400 naming <see cref="Field"/>.
/// </summary>
[GenerateSerializer, Alias("Flexprice.UsageLimitExceededException")]
public sealed class UsageLimitExceededException : Exception
{
    public UsageLimitExceededException()
    {
    }

    public UsageLimitExceededException(string message)
        : base(message)
    {
    }

    public UsageLimitExceededException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public UsageLimitExceededException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    /// <summary>The request field to change (<c>window_size</c>, <c>group_by</c>, …).</summary>
    [Id(0)]
    public string? Field { get; init; }
}
