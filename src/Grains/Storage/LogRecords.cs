namespace Flexprice.Grains.Storage;

/// <summary>An event as the log holds it.</summary>
public sealed record LoggedEvent(long Seq, string EventId, string EventName, DateTime Timestamp, string PropertiesJson, byte[] Fingerprint);

/// <summary>An event as a usage computation reads it: time, tie-break order (later ingested is greater) and properties.</summary>
public sealed record UsageRow(DateTime Timestamp, long Order, string PropertiesJson);

/// <summary>A stored event as the event debugger shows it.</summary>
public sealed record StoredEvent(
    string ExternalCustomerId, long Seq, string EventId, string EventName, string? CustomerId, string? Source, DateTime Timestamp, string PropertiesJson, DateTime IngestedAt);

/// <summary>What to list: every criterion is optional. <see cref="Before"/>/<see cref="After"/> are keyset positions (exclusive).</summary>
public sealed record EventListFilter(
    string? ExternalCustomerId, string? EventName, string? EventId, string? Source, DateTime? Start, DateTime? End, EventListKey? Before, EventListKey? After);

/// <summary>A position in the newest-first listing: (timestamp, event id, customer), descending.</summary>
public sealed record EventListKey(DateTime Timestamp, string EventId, string ExternalCustomerId);
