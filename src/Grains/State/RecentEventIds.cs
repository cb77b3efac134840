using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Flexprice.Grains.State;

/// <summary>
/// A bounded memory of the latest event ids and their fingerprints, oldest forgotten first. Every ingested event
/// stays here for a while, so its cost is what the garbage collector pays for the hot path. Nothing here holds a
/// reference: an id is kept as a 128-bit hash (XxHash128 with a seed drawn per process) and its fingerprint inline,
/// so remembering an event allocates nothing that survives, and no write into these long-lived tables marks a card
/// that each young-generation collection would scan. Holding the event's id string instead had every collection of a
/// busy silo trace and promote the strings of the latest events: in the bench's single-event scenario the mean pause
/// per collection was 25.5 ms with the strings, 19–22 ms with the hashes, 16.9 ms with no ids remembered at all
/// (bench/RESULTS.md).
/// Two ids of one customer with the same hash would be taken for one: with at most <c>capacity</c> (10,000) ids
/// remembered, the chance is about capacity² / 2¹²⁹ (10⁻³⁰), far below the fingerprint's own.
/// </summary>
/// <param name="budget">The silo's bound on all grains' ids together (null: only <paramref name="capacity"/>).</param>
public sealed class RecentEventIds(int capacity, RecentIdsBudget? budget = null)
{
    private static readonly long Seed = BinaryPrimitives.ReadInt64LittleEndian(RandomNumberGenerator.GetBytes(8));

    private readonly Dictionary<UInt128, Digest> _fingerprints = [];
    private readonly Queue<UInt128> _order = new();

    /// <summary>True once an id has been forgotten to make room: from then on, an id missing here may still be in the log.</summary>
    public bool HasForgotten { get; private set; }

    /// <summary>False when the id is not remembered; else whether it was remembered with this fingerprint.</summary>
    public bool TryCompare(string eventId, ReadOnlySpan<byte> fingerprint, out bool same)
    {
        if (!_fingerprints.TryGetValue(Key(eventId), out var stored))
        {
            same = false;
            return false;
        }

        same = stored == Digest.Of(fingerprint);
        return true;
    }

    public void Remember(string eventId, ReadOnlySpan<byte> fingerprint)
    {
        var key = Key(eventId);
        if (!_fingerprints.TryAdd(key, Digest.Of(fingerprint)))
        {
            return;
        }

        _order.Enqueue(key);
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

    private static UInt128 Key(string eventId) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(eventId.AsSpan()), Seed);

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
