namespace Flexprice.Grains.Storage;

/// <summary>One customer's part of a group-committed append: its distinct new-looking events, to be logged right after position <see cref="AfterSeq"/>.</summary>
public sealed record AppendRequest(string TenantId, string ExternalCustomerId, string CustomerId, IReadOnlyList<IngestEvent> Events, long AfterSeq);

/// <summary>
/// What an append found: the ids it inserted with the log positions they got, the stored
/// fingerprints of ids that already existed, and the greatest log position among those (0 when
/// none). <see cref="Collided"/>: nothing was inserted because another writer holds positions after
/// the request's, or raced on one of its ids; the caller must catch up from the log and decide again.
/// <see cref="Refused"/>: PostgreSQL refused the request's values (a gap in validation at the door):
/// nothing was stored, and the words say why, for a 400.
/// </summary>
public sealed record AppendResult(Dictionary<string, long> Inserted, IReadOnlyDictionary<string, byte[]> Existing, long LastExistingSeq, bool Collided = false, string? Refused = null)
{
    /// <summary>No id stored already, shared by the results of refused and empty appends and of flushes whose ids are all server-made (nothing to look up there).</summary>
    public static IReadOnlyDictionary<string, byte[]> NoneExisting { get; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, byte[]>.Empty;

    public static AppendResult Refusal(string reason) => new([], NoneExisting, 0, Refused: reason);
}
