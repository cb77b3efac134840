using System.Text.Json;

namespace Flexprice.Api.Usage;

/// <summary>
/// Flexprice's usage summary of one customer (<c>GET /v1/customers/usage</c>). There are no plans or entitlements here,
/// so every feature is enabled and unlimited: no limit, no sources, a usage percent of 0.
/// </summary>
/// <param name="CustomerId">Flexprice's id of the customer (<c>cust_…</c>).</param>
[EveryKey]
public sealed record CustomerUsageSummaryResponse(
    string CustomerId, string ExternalCustomerId, IReadOnlyList<FeatureUsageSummaryResponse> Features, Pagination Pagination, BillingPeriodResponse Period);

/// <param name="CurrentUsage">The usage as a decimal string: over the period, or since the first event for a meter that never resets (reset_usage NEVER).</param>
/// <param name="EventCount">Events that fed it.</param>
/// <param name="NextUsageResetAt">The period's end; null for a meter that never resets.</param>
[EveryKey]
public sealed record FeatureUsageSummaryResponse(FeatureResponse Feature, string CurrentUsage, long EventCount, DateTime? NextUsageResetAt)
{
    public bool IsEnabled => true;

    public bool IsUnlimited => true;

    public bool IsSoftLimit => false;

    public long? TotalLimit => null;

    public string UsagePercent => "0";

    public IReadOnlyList<JsonElement> Sources => [];
}

/// <param name="Period"><c>MONTHLY</c> for the default period (the current calendar month, UTC); null for a range the client gave.</param>
[EveryKey]
public sealed record BillingPeriodResponse(DateTime StartTime, DateTime EndTime, string? Period);

/// <summary>
/// Flexprice's usage analytics (<c>POST /v1/events/analytics</c>). Nothing is priced here: costs are 0 and the currency null.
/// </summary>
[EveryKey]
public sealed record UsageAnalyticsResponse(IReadOnlyList<UsageAnalyticItemResponse> Items)
{
    public string TotalCost => "0";

    public string? Currency => null;

    public IReadOnlyList<JsonElement> CustomAnalytics => [];
}

/// <summary>
/// One feature's usage over the range: <see cref="TotalUsage"/> is the aggregate over the whole range (the same number
/// <c>POST /v1/events/usage/meter</c> answers), <see cref="Points"/> the windows that hold events (none without a window_size).
/// Plans, prices, subscriptions and add-ons do not exist here (their fields are null).
/// </summary>
/// <param name="TotalUsage">A decimal string (its text for a text LATEST).</param>
/// <param name="Unit">The feature's unit_singular.</param>
[EveryKey]
public sealed record UsageAnalyticItemResponse(
    string FeatureId, string Name, string EventName, string AggregationType, string? Unit, string? UnitPlural, string TotalUsage, long EventCount,
    string? WindowSize, IReadOnlyList<UsageAnalyticPointResponse> Points, string MeterId, MeterResponse Meter, FeatureResponse Feature)
{
    public string TotalCost => "0";

    public string? Currency => null;

    public string? Source => null;

    public IReadOnlyList<string> Sources => [];

    public IReadOnlyDictionary<string, string>? Properties => null;

    public string? PriceId => null;

    public JsonElement? Price => null;

    public string? PlanId => null;

    public JsonElement? Plan => null;

    public string? AddOnId => null;

    public JsonElement? Addon => null;

    public string? SubscriptionId => null;

    public string? SubLineItemId => null;

    public JsonElement? SubscriptionLineItem => null;

    public JsonElement? CommitmentInfo => null;
}

/// <param name="Timestamp">The window's aligned start.</param>
/// <param name="Usage">The window's aggregate, a decimal string.</param>
[EveryKey]
public sealed record UsageAnalyticPointResponse(DateTime Timestamp, string Usage, long EventCount)
{
    public string Cost => "0";

    public string? ComputedCommitmentUtilizedAmount => null;

    public string? ComputedOverageAmount => null;

    public string? ComputedTrueUpAmount => null;
}
