using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Debugger;

/// <summary>A stored event, as the debugger shows it, with every field of Flexprice's event model (events here have no environment).</summary>
/// <param name="CustomerId">Flexprice's id of the event's customer (<c>cust_…</c>).</param>
[EveryKey]
public sealed record StoredEventResponse(
    string Id, string ExternalCustomerId, string? CustomerId, string EventName, DateTime Timestamp, string? Source, JsonElement Properties, DateTime IngestedAt)
{
    public string? EnvironmentId => null;
}

/// <param name="IterFirstKey">The page's first event's key: pass it as iter_first_key for the events just before this page (newer, in the default order).</param>
/// <param name="IterLastKey">The page's last event's key: pass it as iter_last_key for the next page (older, in the default order).</param>
/// <param name="TotalCount">
/// Events matching the filters, all pages together, as counted when the listing's first page was asked for (pages
/// reached with a key carry that count); at most 100,000 (see <see cref="TotalCountCapped"/>).
/// </param>
/// <param name="Offset">The offset the page was asked with.</param>
[EveryKey]
public sealed record EventListResponse(IReadOnlyList<StoredEventResponse> Events, bool HasMore, string? IterFirstKey, string? IterLastKey, long TotalCount, int Offset)
{
    /// <summary>True when more than 100,000 events match: <see cref="TotalCount"/> is then 100,000, a lower bound.</summary>
    public bool TotalCountCapped { get; init; }
}

/// <param name="Quantity">What the event contributed: 1 for COUNT, the value otherwise (a string for text values).</param>
public sealed record FeatureContributionResponse(string FeatureId, string FeatureName, string MeterId, string AggregationType, object Quantity);

/// <summary>
/// What an event fed, as Flexprice's SDKs read it: one entry per feature. Nothing here is priced or subscribed,
/// so the price and subscription fields are null.
/// </summary>
/// <param name="CustomerId">Flexprice's id of the event's customer (<c>cust_…</c>).</param>
/// <param name="QtyTotal">A decimal string: 1 for COUNT and COUNT_UNIQUE, the event's value otherwise (its text for a text LATEST).</param>
/// <param name="ProcessedAt">When the event was stored and counted (before its 202).</param>
[EveryKey]
public sealed record ProcessedEventResponse(string FeatureId, string MeterId, string? CustomerId, string QtyTotal, DateTime ProcessedAt)
{
    public string? PriceId => null;

    public string? SubscriptionId => null;

    public string? SubLineItemId => null;
}

/// <param name="Status">Always <c>processed</c>: an event is stored and counted before its 202.</param>
/// <param name="Features">What the event fed, by feature (this API's own shape).</param>
/// <param name="ProcessedEvents">The same, as Flexprice's SDKs read it.</param>
[EveryKey]
public sealed record EventLookupResponse(
    StoredEventResponse Event, string Status, IReadOnlyList<FeatureContributionResponse> Features, IReadOnlyList<ProcessedEventResponse> ProcessedEvents)
{
    /// <summary>Flexprice's step-by-step trace of a failed event; never needed here (an event that fails is refused at the door).</summary>
    public JsonElement? DebugTracker => null;
}

public sealed record RejectionResponse(DateTime Time, string Route, int Status, string Reason, string RequestHead);

public sealed record RejectionListResponse(IReadOnlyList<RejectionResponse> Rejections);
