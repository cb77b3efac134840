using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Events;

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
