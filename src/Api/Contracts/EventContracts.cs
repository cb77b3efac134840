using System.Text.Json;

namespace Flexprice.Api.Contracts;

/// <summary>A usage event, as the spec's "Sending Events" page defines it.</summary>
/// <param name="EventName">Must exactly match a feature's event name (leading and trailing spaces are trimmed).</param>
/// <param name="ExternalCustomerId">Your identifier for the customer; the customer must exist.</param>
/// <param name="EventId">Your unique id for the event, the idempotency key; generated (<c>event_…</c>) when absent.</param>
/// <param name="Timestamp">ISO 8601; default now. At most 5 minutes in the future; any past time is accepted.</param>
/// <param name="Source">Origin of the event, e.g. "api".</param>
/// <param name="Properties">Values to aggregate: numbers or numeric strings for SUM/MAX, numbers or strings for LATEST, scalars for COUNT_UNIQUE.</param>
public sealed record EventRequest(
    string EventName,
    string ExternalCustomerId,
    string? EventId,
    string? CustomerId,
    string? Timestamp,
    string? Source,
    JsonElement? Properties);

public sealed record BulkEventRequest(IReadOnlyList<EventRequest> Events);

public sealed record EventAcceptedResponse(string EventId, string Message);

/// <summary>
/// A bulk's 202. By default only Flexprice's <see cref="Message"/>; with <c>Prefer: return=representation</c> also
/// <see cref="EventIds"/> (request order, given or made by the server) and <see cref="Duplicates"/> (events of this
/// request that were already stored, counted zero more times).
/// </summary>
public sealed record BulkEventsAcceptedResponse(string Message, IReadOnlyList<string>? EventIds = null, int? Duplicates = null);

/// <summary>What became of one event of a bulk that was partly stored: <c>stored</c>, <c>duplicate</c>, <c>conflict</c>, <c>refused</c>, <c>customer_not_found</c>, <c>not_stored</c> or <c>unknown</c> (retry it).</summary>
public sealed record EventOutcomeResponse(int Index, string EventId, string Status);

/// <param name="StartTime">The range's start when one was asked for (null: all time).</param>
public sealed record UsageResponse(string ExternalCustomerId, IReadOnlyList<FeatureUsageResponse> Features, DateTime? StartTime = null, DateTime? EndTime = null);

/// <param name="Value">A number; a string for LATEST over string values.</param>
/// <param name="EventCount">Events that fed the feature.</param>
public sealed record FeatureUsageResponse(string FeatureId, string FeatureName, string EventName, string AggregationType, object Value, long EventCount);

/// <summary>
/// A usage query's answer. <see cref="Value"/> is the aggregate over the whole range (not a sum of windows);
/// <see cref="Results"/> holds the windows with events, oldest first (none without a window_size).
/// <see cref="Source"/> says where the events were read: <c>memory</c> (the customer grain's recent events) or <c>log</c> (the event log); the answer is the same.
/// </summary>
public sealed record UsageQueryResponse(
    string EventName, string Type, object Value, long EventCount, DateTime StartTime, DateTime EndTime, string? WindowSize, string Timezone,
    IReadOnlyList<UsageWindowResponse> Results, string Source);

/// <param name="WindowSize">The window's aligned start (Flexprice's name for it); equal to <see cref="WindowStart"/>.</param>
/// <param name="WindowEnd">The window's aligned end; only events inside the query's range count, so the first and last windows may be cut.</param>
public sealed record UsageWindowResponse(DateTime WindowSize, DateTime WindowStart, DateTime WindowEnd, object Value, long EventCount);

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
/// <param name="TotalCount">Events matching the filters, all pages together.</param>
/// <param name="Offset">The offset the page was asked with.</param>
[EveryKey]
public sealed record EventListResponse(IReadOnlyList<StoredEventResponse> Events, bool HasMore, string? IterFirstKey, string? IterLastKey, long TotalCount, int Offset);

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
