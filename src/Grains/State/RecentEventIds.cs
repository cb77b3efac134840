using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Flexprice.Grains.State;

/// <summary>
/// A bounded memory of the latest event ids and their fingerprints, oldest forgotten first. Every
/// ingested event stays here for a while, so its cost is what the garbage collector pays for the
/// hot path: a fingerprint is kept inline in the dictionary entry (no array per event to trace or
/// promote); the id is the event's own string, already allocated.
/// </summary>
/// <param name="budget">The silo's bound on all grains' ids together (null: only <paramref name="capacity"/>).</param>
public sealed class RecentEventIds(int capacity, RecentIdsBudget? budget = null)
{
    private readonly Dictionary<string, Digest> _fingerprints = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>True once an id has been forgotten to make room: from then on, an id missing here may still be in the log.</summary>
    public bool HasForgotten { get; private set; }

    /// <summary>False when the id is not remembered; else whether it was remembered with this fingerprint.</summary>
    public bool TryCompare(string eventId, ReadOnlySpan<byte> fingerprint, out bool same)
    {
        if (!_fingerprints.TryGetValue(eventId, out var stored))
        {
            same = false;
            return false;
        }

        same = stored == Digest.Of(fingerprint);
        return true;
    }

    public void Remember(string eventId, ReadOnlySpan<byte> fingerprint)
    {
        if (!_fingerprints.TryAdd(eventId, Digest.Of(fingerprint)))
        {
            return;
        }

        _order.Enqueue(eventId);
        // Past its own capacity, or the silo's budget spent: the oldest id goes (the new one has taken its slot).
        if (_order.Count > capacity || (budget is not null && !budget.TryTake()))
        {
            _fingerprints.Remove(_order.Dequeue());
            HasForgotten = true;
        }
    }

    /// <summary>How many ids are remembered.</summary>
    public int Count => _order.Count;

    /// <summary>Forgets everything and gives the slots back to the silo's budget (the grain is going away).</summary>
    public void Release()
    {
        budget?.Give(_order.Count);
        _order.Clear();
        _fingerprints.Clear();
        HasForgotten = true;
    }

    /// <summary>A 32-byte fingerprint (SHA-256) as a value; any other length is hashed down to one.</summary>
    private readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest Of(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length != 32)
            {
                Span<byte> hashed = stackalloc byte[32];
                SHA256.HashData(bytes, hashed);
                return Read(hashed);
            }

            return Read(bytes);
        }

        private static Digest Read(ReadOnlySpan<byte> bytes) =>
            new(
                BinaryPrimitives.ReadUInt64LittleEndian(bytes),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
    }
}
