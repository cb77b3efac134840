namespace Flexprice.Grains.Storage;

public sealed record LoggedEvent(long Seq, string EventId, string EventName, DateTime Timestamp, string PropertiesJson, byte[] Fingerprint);

/// <summary>An event as a usage computation reads it: time, tie-break order (later ingested is greater) and properties.</summary>
public sealed record UsageRow(DateTime Timestamp, long Order, string PropertiesJson);

/// <summary>A stored event as the event debugger shows it.</summary>
public sealed record StoredEvent(
    string ExternalCustomerId, long Seq, string EventId, string EventName, string? CustomerId, string? Source, DateTime Timestamp, string PropertiesJson, DateTime IngestedAt);

/// <summary>
/// What to list: every criterion is optional. <see cref="Properties"/>: the event's property (its text: a
/// number as written, <c>true</c>/<c>false</c>) equals one of the values, for every key given.
/// </summary>
public sealed record EventListFilter(
    string? ExternalCustomerId, string? EventName, string? EventId, string? Source, DateTime? Start, DateTime? End,
    IReadOnlyList<PropertyMatch>? Properties = null);

/// <summary>A property and the values it may have.</summary>
public sealed record PropertyMatch(string Key, IReadOnlyList<string> Values);

/// <summary>
/// The order of a listing: by (timestamp, event id, customer), or by (event name, timestamp, event id, customer)
/// when <see cref="ByName"/>; all columns descending unless <see cref="Ascending"/>.
/// </summary>
public sealed record EventListOrder(bool ByName, bool Ascending)
{
    public static readonly EventListOrder NewestFirst = new(false, false);
}

/// <summary>A listing's position (exclusive): the rows after <see cref="Key"/> in listing order, or, <see cref="Backward"/>, the rows just before it.</summary>
public sealed record EventListPosition(EventListKey Key, bool Backward);

/// <summary>An event's place in a listing: its timestamp, id, customer and name (the columns a listing sorts by).</summary>
public sealed record EventListKey(DateTime Timestamp, string EventId, string ExternalCustomerId, string EventName);
