namespace Flexprice.Grains.Ingestion;

/// <summary>
/// The one rule of exactly-once ingestion: an event id already stored (or already taken in the same request) with
/// the same payload fingerprint is a duplicate, answered 202 and counted zero more times; with another fingerprint it
/// is a conflict, answered 409, and its request stores nothing.
/// </summary>
public static class IdempotencyRule
{
    public static EventOutcome Decide(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> incoming) =>
        Decide(stored.SequenceEqual(incoming));

    /// <summary>The rule when the fingerprints were compared some other way (as digests in memory).</summary>
    public static EventOutcome Decide(bool samePayload) => samePayload ? EventOutcome.Duplicate : EventOutcome.Conflict;
}
