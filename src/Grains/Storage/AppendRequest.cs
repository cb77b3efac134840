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
public sealed record AppendResult(IReadOnlyDictionary<string, long> Inserted, IReadOnlyDictionary<string, byte[]> Existing, long LastExistingSeq, bool Collided = false, string? Refused = null)
{
    /// <summary>Nothing inserted.</summary>
    public static IReadOnlyDictionary<string, long> NoneInserted { get; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, long>.Empty;

    /// <summary>No id stored already, shared by the results of refused and empty appends and of flushes whose ids are all server-made (nothing to look up there).</summary>
    public static IReadOnlyDictionary<string, byte[]> NoneExisting { get; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, byte[]>.Empty;

    public static AppendResult Refusal(string reason) => new(NoneInserted, NoneExisting, 0, Refused: reason);
}

/// <summary>
/// The positions of a request whose events all went in, in order, right after <paramref name="afterSeq"/> (a flush of
/// server-made ids): known without a map, so an append of one event costs no dictionary. <see cref="At"/> reads a
/// position by the event's index in the request; a lookup by id (tests, tools) builds the map once.
/// </summary>
public sealed class InsertedInOrder(IReadOnlyList<IngestEvent> events, long afterSeq) : IReadOnlyDictionary<string, long>
{
    private Dictionary<string, long>? _byId;

    /// <summary>The position of the request's event at <paramref name="index"/>.</summary>
    public long At(int index) => afterSeq + index + 1;

    public int Count => events.Count;

    public long this[string key] => ById()[key];

    public IEnumerable<string> Keys => ById().Keys;

    public IEnumerable<long> Values => ById().Values;

    public bool ContainsKey(string key) => ById().ContainsKey(key);

    public bool TryGetValue(string key, out long value) => ById().TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, long>> GetEnumerator() => ById().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<string, long> ById()
    {
        if (_byId is null)
        {
            var byId = new Dictionary<string, long>(events.Count, StringComparer.Ordinal);
            for (var k = 0; k < events.Count; k++)
            {
                byId[events[k].EventId] = At(k);
            }

            _byId = byId;
        }

        return _byId;
    }
}
