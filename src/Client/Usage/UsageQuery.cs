namespace Flexprice.Client.Usage;

/// <summary>
/// Flexprice's usage query (<c>POST /v1/events/usage</c>), or with <see cref="MeterId"/> or
/// <see cref="FeatureId"/> a feature meter's (<c>POST /v1/events/usage/meter</c>). The range is
/// <c>[StartTime, EndTime)</c> (default: the 7 days before now); windows align to <see cref="Timezone"/>'s calendar.
/// </summary>
/// <param name="WindowSize"><c>MINUTE</c>, <c>15MIN</c>, <c>30MIN</c>, <c>HOUR</c>, <c>3HOUR</c>, <c>6HOUR</c>, <c>12HOUR</c>, <c>DAY</c>, <c>WEEK</c> or <c>MONTH</c>.</param>
/// <param name="Filters">Property → accepted values (AND across keys, OR within a key).</param>
public sealed record UsageQuery
{
    public string? EventName { get; init; }
    public string? AggregationType { get; init; }
    public string? PropertyName { get; init; }
    public string? MeterId { get; init; }
    public string? FeatureId { get; init; }
    public string? ExternalCustomerId { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    public string? WindowSize { get; init; }
    public string? Timezone { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filters { get; init; }
    public DateTimeOffset? BillingAnchor { get; init; }
    public decimal? Multiplier { get; init; }
    public string? BucketSize { get; init; }
    public string? GroupBy { get; init; }
}
