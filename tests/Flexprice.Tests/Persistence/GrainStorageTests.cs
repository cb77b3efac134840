using System.Text;
using Orleans.Runtime;
using Orleans.Storage;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// The real Microsoft.Orleans.Persistence.AdoNet provider over src/Silo/Schema/0001-orleans.sql
/// (contract §3 and §6 "Persistence").
/// </summary>
public sealed class GrainStorageTests(GrainStorageClusterFixture fixture) : IClassFixture<GrainStorageClusterFixture>
{
    private sealed record StorageRow(string ServiceId, string GrainType, long N0, long N1, string? Extension, byte[]? Payload, int Version);

    [Fact]
    public async Task Fresh_read_gives_default_state_and_null_etag()
    {
        var view = await Probe().Get(ProbeSlot.Main);

        Assert.Equal(new ProbeView(null, null, false), view);
    }

    [Fact]
    public async Task First_write_creates_row_at_version_1_and_reads_back_after_deactivation()
    {
        var grain = Probe();

        var written = await grain.Set(ProbeSlot.Main, "hello");
        await fixture.Cluster.DeactivateAsync(grain);
        var read = await grain.Get(ProbeSlot.Main);

        Assert.Equal(new ProbeView("hello", "1", true), written);
        Assert.Equal(new ProbeView("hello", "1", true), read);
        var row = Assert.Single(await RowsFor(grain));
        Assert.Equal(1, row.Version);
        Assert.Contains("hello", Encoding.UTF8.GetString(row.Payload!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_later_write_bumps_the_version_by_exactly_one()
    {
        var grain = Probe();

        var first = await grain.Set(ProbeSlot.Main, "a");
        var second = await grain.Set(ProbeSlot.Main, "b");
        var third = await grain.Set(ProbeSlot.Main, "c");

        Assert.Equal(new[] { "1", "2", "3" }, new[] { first.ETag, second.ETag, third.ETag });
        Assert.Equal(3, Assert.Single(await RowsFor(grain)).Version);
    }

    [Fact]
    public async Task Stale_etag_write_is_rejected_and_row_unchanged()
    {
        var grain = Probe();
        await grain.Set(ProbeSlot.Main, "mine");
        await ConcurrentWrite(grain, "theirs");
        var before = Assert.Single(await RowsFor(grain));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Set(ProbeSlot.Main, "stale"));

        var after = Assert.Single(await RowsFor(grain));
        Assert.Equal(2, after.Version);
        Assert.Equal(before.Payload, after.Payload);
        Assert.Contains("theirs", Encoding.UTF8.GetString(after.Payload!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task First_write_conflicts_when_a_row_already_exists()
    {
        var grain = Probe();
        await grain.Get(ProbeSlot.Main); // activated: ETag is null
        await ConcurrentWrite(grain, "theirs");

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Set(ProbeSlot.Main, "mine"));

        var row = Assert.Single(await RowsFor(grain));
        Assert.Equal(1, row.Version);
        Assert.Contains("theirs", Encoding.UTF8.GetString(row.Payload!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_first_writes_let_exactly_one_win_and_leave_one_row()
    {
        var grainId = GrainId.Create("probe", "concurrent-" + Guid.NewGuid());
        var storage = fixture.Storage(ProbeGrain.Store);

        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            var state = new GrainState<ProbeState>(new ProbeState { Value = $"writer-{i}" });
            try
            {
                await storage.WriteStateAsync(ProbeGrain.MainState, grainId, state);
                return state.ETag;
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        });
        var results = await Task.WhenAll(attempts);

        Assert.Equal("1", Assert.Single(results, r => r is not null));
        var row = Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, 0, grainId.Key.ToString()));
        Assert.Equal(1, row.Version);
    }

    [Fact]
    public async Task Clear_keeps_the_row_with_null_payload_and_next_version()
    {
        var grain = Probe();
        await grain.Set(ProbeSlot.Main, "x");

        var cleared = await grain.Clear(ProbeSlot.Main);

        Assert.Equal(new ProbeView(null, "2", false), cleared);
        var row = Assert.Single(await RowsFor(grain));
        Assert.Null(row.Payload);
        Assert.Equal(2, row.Version);
    }

    [Fact]
    public async Task After_clear_a_read_has_no_record_and_a_write_succeeds()
    {
        var grain = Probe();
        await grain.Set(ProbeSlot.Main, "x");
        await grain.Clear(ProbeSlot.Main);
        await fixture.Cluster.DeactivateAsync(grain);

        var read = await grain.Get(ProbeSlot.Main);
        var written = await grain.Set(ProbeSlot.Main, "y");

        Assert.Equal(new ProbeView(null, "2", false), read);
        Assert.Equal(new ProbeView("y", "3", true), written);
        Assert.Equal(3, Assert.Single(await RowsFor(grain)).Version);
    }

    [Fact]
    public async Task Stale_clear_is_rejected_and_row_unchanged()
    {
        var grain = Probe();
        await grain.Set(ProbeSlot.Main, "mine");
        await ConcurrentWrite(grain, "theirs");

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Clear(ProbeSlot.Main));

        var row = Assert.Single(await RowsFor(grain));
        Assert.Equal(2, row.Version);
        Assert.NotNull(row.Payload);
    }

    [Fact]
    public async Task Clear_with_delete_state_on_clear_removes_the_row_and_next_write_inserts()
    {
        var grain = Probe();
        await grain.Set(ProbeSlot.DeleteOnClear, "x");
        await grain.Set(ProbeSlot.DeleteOnClear, "x2");

        var cleared = await grain.Clear(ProbeSlot.DeleteOnClear);
        var rowsAfterClear = await RowsFor(grain, ProbeGrain.DeleteState);
        var written = await grain.Set(ProbeSlot.DeleteOnClear, "y");

        Assert.Equal(new ProbeView(null, null, false), cleared);
        Assert.Empty(rowsAfterClear);
        Assert.Equal(new ProbeView("y", "1", true), written);
        Assert.Equal(1, Assert.Single(await RowsFor(grain, ProbeGrain.DeleteState)).Version);
    }

    [Fact]
    public async Task Guid_key_maps_to_n0_n1_from_the_guid_bytes_and_null_extension()
    {
        var key = Guid.NewGuid();
        var (n0, n1) = GuidHalves(key);

        await fixture.Grains.GetGrain<IGuidProbeGrain>(key).Set(ProbeSlot.Main, "guid");

        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, n0, n1, null));
    }

    [Fact]
    public async Task Guid_compound_key_maps_to_guid_halves_and_the_extension()
    {
        var key = Guid.NewGuid();
        var (n0, n1) = GuidHalves(key);

        await fixture.Grains.GetGrain<IGuidCompoundProbeGrain>(key, "ext-a", null).Set(ProbeSlot.Main, "a");
        await fixture.Grains.GetGrain<IGuidCompoundProbeGrain>(key, "ext-b", null).Set(ProbeSlot.Main, "b");

        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, n0, n1, "ext-a"));
        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, n0, n1, "ext-b"));
        Assert.Empty(await Rows(fixture.ServiceId, ProbeGrain.MainState, n0, n1, null));
    }

    [Fact]
    public async Task Integer_keys_map_to_n1_with_optional_extension()
    {
        var key = Random.Shared.NextInt64(1, long.MaxValue);

        await fixture.Grains.GetGrain<ILongProbeGrain>(key).Set(ProbeSlot.Main, "long");
        await fixture.Grains.GetGrain<ILongProbeGrain>(-key).Set(ProbeSlot.Main, "negative");
        await fixture.Grains.GetGrain<ILongCompoundProbeGrain>(key, "ext", null).Set(ProbeSlot.Main, "compound");

        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, key, null));
        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, -key, null));
        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, key, "ext"));
    }

    [Fact]
    public async Task Plain_string_key_is_stored_whole_in_the_extension()
    {
        var key = "customer:" + Guid.NewGuid();

        await fixture.Grains.GetGrain<IStringProbeGrain>(key).Set(ProbeSlot.Main, "s");

        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, 0, key));
    }

    [Fact]
    public async Task Hex_looking_string_keys_with_and_without_a_leading_zero_share_one_row()
    {
        // Contract §3 "identity flaws": like "42" and "042", both keys parse as the same hex int64.
        // A random value keeps the row unique to this test run.
        var suffix = Random.Shared.NextInt64(0x1_0000, 0xFFF_FFFF);
        var shortKey = suffix.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var paddedKey = "0" + shortKey;

        var first = await fixture.Grains.GetGrain<IStringProbeGrain>(shortKey).Set(ProbeSlot.Main, "short");
        var second = await fixture.Grains.GetGrain<IStringProbeGrain>(paddedKey).Set(ProbeSlot.Main, "padded");

        Assert.Equal("1", first.ETag);
        Assert.Equal("2", second.ETag); // the padded key's activation read the short key's row
        var row = Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, 0, suffix, null));
        Assert.Equal(2, row.Version);
    }

    [Fact]
    public async Task Two_state_names_of_one_grain_get_separate_rows()
    {
        var grain = Probe();

        await grain.Set(ProbeSlot.Main, "main");
        await grain.Set(ProbeSlot.Second, "second");

        Assert.Single(await RowsFor(grain, ProbeGrain.MainState));
        Assert.Single(await RowsFor(grain, ProbeGrain.SecondState));
    }

    [Fact]
    public async Task Two_service_ids_get_separate_rows_for_the_same_grain_and_state()
    {
        var grain = Probe();

        await grain.Set(ProbeSlot.Main, "main");
        var other = await grain.Set(ProbeSlot.OtherService, "other");

        Assert.Equal("1", other.ETag);
        var (n0, n1) = GuidHalves(grain.GetPrimaryKey());
        Assert.Single(await Rows(fixture.ServiceId, ProbeGrain.MainState, n0, n1, null));
        var otherRow = Assert.Single(await Rows(fixture.OtherServiceId, ProbeGrain.MainState, n0, n1, null));
        Assert.Contains("other", Encoding.UTF8.GetString(otherRow.Payload!), StringComparison.Ordinal);
    }

    private IGuidProbeGrain Probe() => fixture.Grains.GetGrain<IGuidProbeGrain>(Guid.NewGuid());

    /// <summary>Another writer (the silo's own provider instance) updates the grain's row.</summary>
    private async Task ConcurrentWrite(IGuidProbeGrain grain, string value)
    {
        var storage = fixture.Storage(ProbeGrain.Store);
        var state = new GrainState<ProbeState>();
        await storage.ReadStateAsync(ProbeGrain.MainState, grain.GetGrainId(), state);
        state.State = new ProbeState { Value = value };
        await storage.WriteStateAsync(ProbeGrain.MainState, grain.GetGrainId(), state);
    }

    private static (long N0, long N1) GuidHalves(Guid key)
    {
        var bytes = key.ToByteArray();
        return (BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8));
    }

    private Task<List<StorageRow>> RowsFor(IGuidProbeGrain grain, string state = ProbeGrain.MainState)
    {
        var (n0, n1) = GuidHalves(grain.GetPrimaryKey());
        return Rows(fixture.ServiceId, state, n0, n1, null);
    }

    private static async Task<List<StorageRow>> Rows(string serviceId, string grainType, long n0, long n1, string? extension)
    {
        var rows = await RowsAsync(
            """
            SELECT serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring, payloadbinary, version
            FROM orleansstorage
            WHERE serviceid = @s AND graintypestring = @t AND grainidn0 = @n0 AND grainidn1 = @n1
              AND grainidextensionstring IS NOT DISTINCT FROM @e
            """,
            Text("s", serviceId), Text("t", grainType), Long("n0", n0), Long("n1", n1), Text("e", extension));
        return rows.Select(r => new StorageRow(
            (string)r["serviceid"]!, (string)r["graintypestring"]!, (long)r["grainidn0"]!, (long)r["grainidn1"]!,
            (string?)r["grainidextensionstring"], (byte[]?)r["payloadbinary"], (int)r["version"]!)).ToList();
    }
}
