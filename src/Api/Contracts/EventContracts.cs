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

public sealed record BulkEventsAcceptedResponse(string Message, IReadOnlyList<string> EventIds);

public sealed record UsageResponse(string ExternalCustomerId, IReadOnlyList<FeatureUsageResponse> Features);

/// <param name="Value">A number; a string for LATEST over string values.</param>
/// <param name="EventCount">Events that fed the feature.</param>
public sealed record FeatureUsageResponse(string FeatureId, string FeatureName, string EventName, string AggregationType, object Value, long EventCount);
