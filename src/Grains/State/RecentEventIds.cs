namespace Flexprice.Grains.State;

/// <summary>A bounded memory of the latest event ids and their fingerprints, oldest forgotten first.</summary>
public sealed class RecentEventIds(int capacity)
{
    private readonly Dictionary<string, byte[]> _fingerprints = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>True once an id has been forgotten to make room: from then on, an id missing here may still be in the log.</summary>
    public bool HasForgotten { get; private set; }

    public bool TryGet(string eventId, out byte[] fingerprint) => _fingerprints.TryGetValue(eventId, out fingerprint!);

    public void Remember(string eventId, byte[] fingerprint)
    {
        if (!_fingerprints.TryAdd(eventId, fingerprint))
        {
            return;
        }

        _order.Enqueue(eventId);
        if (_order.Count > capacity)
        {
            _fingerprints.Remove(_order.Dequeue());
            HasForgotten = true;
        }
    }
}
