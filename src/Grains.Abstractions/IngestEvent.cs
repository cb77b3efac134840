using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// One validated usage event for one customer. <see cref="Timestamp"/> is UTC with microsecond
/// precision (what PostgreSQL keeps). <see cref="Fingerprint"/> identifies the payload that the
/// idempotency rule compares: event name, properties and a client-given timestamp.
/// <see cref="CustomerId"/>: the customer's own id (<c>cust_…</c>) when the client gave one; it must be the
/// id of the customer the event is for, or the batch is refused. <see cref="Inputs"/>: what the event gives each
/// feature it feeds, read at the door against the batch's catalog version (default when not read): the grain folds
/// them as they are when its catalog has that version, and reads the properties itself otherwise.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.IngestEvent")]
public sealed record IngestEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string EventName,
    [property: Id(2)] DateTime Timestamp,
    [property: Id(3)] string? Source,
    [property: Id(4)] string PropertiesJson,
    [property: Id(5)] byte[] Fingerprint,
    [property: Id(6)] bool EventIdGiven,
    [property: Id(7)] string? CustomerId = null,
    [property: Id(8)] ImmutableArray<FeatureInput> Inputs = default);

/// <summary>
/// What one event gives one feature it feeds: a number (SUM, MAX, LATEST of a number, …), a text (LATEST of a
/// string) or a key (COUNT_UNIQUE: strings quoted as in JSON, numbers and booleans by their JSON text). COUNT reads nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.FeatureInput")]
public readonly record struct FeatureInput(
    [property: Id(0)] string FeatureId,
    [property: Id(1)] decimal Number,
    [property: Id(2)] string? Text,
    [property: Id(3)] string? UniqueKey);

/// <summary>Events for one customer, validated against catalog version <see cref="CatalogVersion"/> or later.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.IngestBatch")]
public sealed record IngestBatch(
    [property: Id(0)] long CatalogVersion,
    [property: Id(1)] ImmutableArray<IngestEvent> Events);

/// <summary>What happened to one event of a batch.</summary>
[GenerateSerializer]
public enum EventOutcome
{
    /// <summary>Stored and counted now.</summary>
    Accepted = 0,

    /// <summary>Already stored with the same payload; counted zero more times.</summary>
    Duplicate = 1,

    /// <summary>The event id is already stored with a different payload.</summary>
    Conflict = 2,

    /// <summary>The database refused the event's values (see <see cref="IngestResult.Refused"/>); nothing of the batch was stored.</summary>
    Refused = 3,
}

/// <summary>
/// The answer to a batch. A batch is all-or-nothing: when the customer is unknown, any event
/// conflicts or the database refused its values, nothing of it was stored. <see cref="Outcomes"/> is
/// in batch order. <see cref="Refused"/>: why the database refused the batch's values (a gap in
/// validation at the door, logged as an error), in words for the client; null otherwise. <see cref="Unavailable"/>:
/// the log could not be written for a passing fault (within <see cref="ICustomerGrain.IngestMany"/>, after other batches
/// were stored); the batch may or may not be stored, and a retry with the same ids settles it.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.IngestResult")]
public sealed record IngestResult(
    [property: Id(0)] bool CustomerFound,
    [property: Id(1)] ImmutableArray<EventOutcome> Outcomes,
    [property: Id(2)] string? Refused = null,
    [property: Id(3)] string? Unavailable = null)
{
    public bool HasConflicts => Outcomes.Contains(EventOutcome.Conflict);
}
