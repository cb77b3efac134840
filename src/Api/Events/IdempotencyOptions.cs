namespace Flexprice.Api.Events;

/// <summary>How long an <c>Idempotency-Key</c> is remembered (configuration section <c>Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>
    /// At least this long after its first use a key finds its request again (a retry stores nothing twice; another
    /// request with it is 409). Afterwards it is forgotten and may be used anew. Default 24 hours.
    /// </summary>
    public TimeSpan KeyRetention { get; set; } = TimeSpan.FromHours(24);
}
