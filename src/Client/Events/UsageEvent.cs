namespace Flexprice.Client.Events;

/// <summary>
/// One usage event, as Flexprice's "Sending Events" page defines it.
/// </summary>
/// <param name="EventName">Must match a feature's event name exactly.</param>
/// <param name="ExternalCustomerId">Your identifier of the customer; the customer must exist.</param>
public sealed record UsageEvent(string EventName, string ExternalCustomerId)
{
    /// <summary>Values to aggregate (numbers, strings, booleans); serialised as JSON. Read when the event is tracked or sent, never later.</summary>
    public IReadOnlyDictionary<string, object?>? Properties { get; init; }

    /// <summary>The idempotency key; the client makes one (<c>evt_</c> + ULID) when absent, so retries never count twice.</summary>
    public string? EventId { get; init; }

    /// <summary>When the usage happened; the client stamps the time of tracking when absent (so a retry keeps the original time).</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Origin of the event, e.g. <c>"api"</c>.</summary>
    public string? Source { get; init; }

    /// <summary>Flexprice's internal customer id, if you have it (optional).</summary>
    public string? CustomerId { get; init; }
}
