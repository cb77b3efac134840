using System.Security.Cryptography;
using System.Text;
using Flexprice.Grains.State;

namespace Flexprice.Tests.Aggregation;

/// <summary>The customer grain's memory of recent ids against a plain list of what it was told, oldest forgotten first.</summary>
public sealed class RecentEventIdsTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 11)]
    [InlineData(16, 23)]
    public void Remembers_the_latest_ids_with_their_fingerprints_and_forgets_the_oldest(int capacity, int seed)
    {
        var random = new Random(seed);
        var memory = new RecentEventIds(capacity);
        var told = new List<(string Id, byte[] Fingerprint)>();
        var forgotten = false;
        for (var step = 0; step < 400; step++)
        {
            // Repeats of ids already told are common; a repeat is not told again (the first fingerprint stays).
            var id = $"e{random.Next(capacity * 3)}";
            var fingerprint = Fingerprint(random.Next(4));
            if (!told.Exists(t => t.Id == id))
            {
                told.Add((id, fingerprint));
            }

            memory.Remember(id, fingerprint);

            // The oracle: the last `capacity` distinct ids told, each with its first fingerprint.
            var kept = told.TakeLast(capacity).ToList();
            forgotten |= told.Count > capacity;
            Assert.Equal(forgotten, memory.HasForgotten);
            var probe = $"e{random.Next(capacity * 3)}";
            var probePrint = Fingerprint(random.Next(4));
            var expected = kept.Find(t => t.Id == probe);
            Assert.Equal(expected.Id is not null, memory.TryCompare(probe, probePrint, out var same));
            Assert.Equal(expected.Id is not null && expected.Fingerprint.AsSpan().SequenceEqual(probePrint), same);
            if (told.Count > capacity)
            {
                // Only the distinct ids since the latest `capacity` are kept: an id forgotten and told again is new.
                told.RemoveRange(0, told.Count - capacity);
            }
        }
    }

    [Fact]
    public void Fingerprints_of_any_length_compare_by_content()
    {
        var memory = new RecentEventIds(10);
        memory.Remember("short", [1, 2, 3]);
        memory.Remember("empty", []);

        Assert.True(memory.TryCompare("short", new byte[] { 1, 2, 3 }, out var same) && same);
        Assert.True(memory.TryCompare("short", new byte[] { 1, 2, 4 }, out same) && !same);
        Assert.True(memory.TryCompare("empty", ReadOnlySpan<byte>.Empty, out same) && same);
        Assert.False(memory.TryCompare("other", new byte[] { 1, 2, 3 }, out _));
    }

    [Fact]
    public void Remembering_an_id_keeps_no_reference_to_its_string()
    {
        // Held references to each event's id made every young-generation collection of a busy silo scan and promote
        // them (bench/RESULTS.md): the memory keeps a hash of the id, so the string itself can be collected.
        var memory = new RecentEventIds(100);
        var fingerprint = Fingerprint(1);
        var id = RememberFreshId(memory, fingerprint);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(id.TryGetTarget(out _));
        Assert.True(memory.TryCompare(new string("evt-fresh-0001".AsSpan()), fingerprint, out var same) && same);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<string> RememberFreshId(RecentEventIds memory, byte[] fingerprint)
    {
        // A string of its own (not interned), as an id parsed from a request is.
        var id = new string("evt-fresh-0001".AsSpan());
        memory.Remember(id, fingerprint);
        return new WeakReference<string>(id);
    }

    private static byte[] Fingerprint(int variant) => SHA256.HashData(Encoding.UTF8.GetBytes($"fingerprint {variant}"));

    [Fact]
    public void Grains_of_a_silo_together_remember_no_more_ids_than_its_budget_and_give_the_slots_back()
    {
        var budget = new RecentIdsBudget(10);
        var first = new RecentEventIds(8, budget);
        var second = new RecentEventIds(8, budget);
        var fingerprint = new byte[32];
        for (var i = 0; i < 8; i++)
        {
            first.Remember($"a{i}", fingerprint);
        }

        for (var i = 0; i < 8; i++)
        {
            second.Remember($"b{i}", fingerprint);
        }

        // The second got 2 slots, then forgot its oldest for each new id: the newest two are remembered.
        Assert.Equal(10, budget.Used);
        Assert.Equal(8, first.Count);
        Assert.Equal(2, second.Count);
        Assert.True(second.HasForgotten);
        Assert.True(second.TryCompare("b7", fingerprint, out _));
        Assert.False(second.TryCompare("b0", fingerprint, out _));
        Assert.False(first.HasForgotten);

        first.Release();

        Assert.Equal(2, budget.Used);
        second.Remember("b8", fingerprint);
        Assert.Equal(3, second.Count);
        Assert.Equal(3, budget.Used);
    }
}
