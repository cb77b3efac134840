using Npgsql;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// The clustering query texts from orleansquery, run directly with the parameter names and
/// types the ADO.NET clustering provider binds (contract §4), for the cases a live cluster
/// rarely produces on demand.
/// </summary>
public sealed class MembershipQueryTests
{
    private const int Joining = 2;
    private const int Active = 3;
    private const int ShuttingDown = 4;
    private const int Dead = 6;

    private static readonly string[] ClusteringKeys =
    [
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
    ];

    private static readonly string[] StorageKeys = ["ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey"];

    private readonly string _deploymentId = "membership-queries-" + Guid.NewGuid().ToString("N");

    private sealed record Silo(string Address, int Port, int Generation, int ProxyPort = 30000, string Name = "silo", int Status = Joining);

    [Fact]
    public async Task Catalog_holds_every_storage_and_clustering_key()
    {
        var keys = (await RowsAsync("SELECT querykey FROM orleansquery")).Select(r => (string)r["querykey"]!).ToHashSet();

        Assert.Superset(ClusteringKeys.Concat(StorageKeys).ToHashSet(), keys);
    }

    [Fact]
    public async Task Schema_can_be_applied_again_without_error()
    {
        var connectionString = await ConnectionStringAsync();

        await Flexprice.Silo.Schema.DatabaseSchema.ApplyAsync(connectionString);

        Assert.Equal(13, await ScalarAsync<long>(
            "SELECT count(*) FROM orleansquery WHERE querykey = ANY(@keys)",
            new NpgsqlParameter("keys", ClusteringKeys.Concat(StorageKeys).ToArray())));
    }

    [Fact]
    public async Task Test_connections_use_a_non_utc_session_time_zone()
    {
        Assert.Equal(NonUtcTimeZone, await ScalarAsync<string>("SHOW TimeZone"));
    }

    [Fact]
    public async Task Version_row_insert_is_idempotent_and_exactly_one_concurrent_caller_creates_it()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => InsertVersionRow()));

        Assert.Single(results, created => created);
        Assert.False(await InsertVersionRow());
        Assert.Equal(0, await TableVersion());
        Assert.Equal(1L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", _deploymentId)));
    }

    [Fact]
    public async Task Read_all_without_version_row_returns_no_rows()
    {
        Assert.Empty(await ReadAll());
    }

    [Fact]
    public async Task Read_all_of_an_empty_cluster_returns_one_placeholder_row_with_the_version()
    {
        await InsertVersionRow();

        var row = Assert.Single(await ReadAll());

        Assert.Null(row["starttime"]);
        Assert.Equal(0, row["version"]);
    }

    [Fact]
    public async Task Read_all_returns_one_row_per_silo_each_with_the_table_version_and_no_placeholder()
    {
        await InsertVersionRow();
        Assert.True(await Insert(new Silo("10.0.0.1", 11111, 1), version: 0));
        Assert.True(await Insert(new Silo("10.0.0.2", 11111, 1), version: 1));

        var rows = await ReadAll();

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r["starttime"]));
        Assert.All(rows, r => Assert.Equal(2, r["version"]));
    }

    [Fact]
    public async Task Read_row_returns_the_silo_or_a_placeholder()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 7);
        Assert.True(await Insert(silo, version: 0));

        var found = Assert.Single(await ReadRow(silo));
        var missing = Assert.Single(await ReadRow(silo with { Generation = 8 }));

        Assert.Equal(7, found["generation"]);
        Assert.Equal(1, found["version"]);
        Assert.Null(missing["starttime"]);
        Assert.Equal(1, missing["version"]);
    }

    [Fact]
    public async Task Insert_at_the_current_version_adds_the_silo_and_bumps_the_version_by_one()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1, ProxyPort: 30001, Name: "silo-a");
        var start = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

        Assert.True(await Insert(silo, version: 0, startTime: start));

        Assert.Equal(1, await TableVersion());
        var row = Assert.Single(await ReadAll());
        Assert.Equal("10.0.0.1", row["address"]);
        Assert.Equal(11111, row["port"]);
        Assert.Equal(1, row["generation"]);
        Assert.Equal("silo-a", row["siloname"]);
        Assert.Equal("host", row["hostname"]);
        Assert.Equal(Joining, row["status"]);
        Assert.Equal(30001, row["proxyport"]);
        Assert.Null(row["suspecttimes"]);
        var readStart = Assert.IsType<DateTime>(row["starttime"]);
        Assert.Equal(DateTimeKind.Utc, readStart.Kind);
        Assert.Equal(start, readStart);
    }

    [Fact]
    public async Task Stale_version_insert_returns_false_and_changes_nothing()
    {
        await InsertVersionRow();
        Assert.True(await Insert(new Silo("10.0.0.1", 11111, 1), version: 0));

        Assert.False(await Insert(new Silo("10.0.0.2", 11111, 1), version: 0));

        Assert.Equal(1, await TableVersion());
        Assert.Single(await ReadAll());
    }

    [Fact]
    public async Task Duplicate_insert_returns_false_and_changes_nothing()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1);
        Assert.True(await Insert(silo, version: 0));

        Assert.False(await Insert(silo with { Name = "again" }, version: 1));

        Assert.Equal(1, await TableVersion());
        Assert.Equal("silo", Assert.Single(await ReadAll())["siloname"]);
    }

    [Fact]
    public async Task Insert_without_version_row_returns_false()
    {
        Assert.False(await Insert(new Silo("10.0.0.1", 11111, 1), version: 0));

        Assert.Equal(0L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleansmembership WHERE deploymentid = @d", Text("d", _deploymentId)));
    }

    [Fact]
    public async Task Concurrent_inserts_at_the_same_version_let_exactly_one_win()
    {
        await InsertVersionRow();

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Insert(new Silo($"10.0.0.{i}", 11111, 1), version: 0)));

        Assert.Single(results, won => won);
        Assert.Equal(1, await TableVersion());
        Assert.Single(await ReadAll());
    }

    [Fact]
    public async Task Update_overwrites_status_suspect_times_and_heartbeat_and_bumps_the_version()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1);
        var start = DateTime.UtcNow.AddMinutes(-1);
        Assert.True(await Insert(silo, version: 0, startTime: start));
        var suspect = "S10.0.0.2:11111:1,2026-01-02 03:04:05.678 GMT|S10.0.0.3:11111:1,2026-01-02 03:04:06.000 GMT";
        var alive = new DateTime(2026, 1, 2, 3, 4, 7, 0, DateTimeKind.Utc);

        Assert.True(await Update(silo, Active, suspect, alive, version: 1));
        var afterSuspect = Assert.Single(await ReadAll());
        Assert.True(await Update(silo, ShuttingDown, null, alive, version: 2));
        var afterClear = Assert.Single(await ReadAll());

        Assert.Equal(Active, afterSuspect["status"]);
        Assert.Equal(suspect, afterSuspect["suspecttimes"]);
        Assert.Equal(alive, afterSuspect["iamalivetime"]);
        Assert.Equal(ShuttingDown, afterClear["status"]);
        Assert.Null(afterClear["suspecttimes"]);
        Assert.Equal("silo", afterClear["siloname"]);
        Assert.Equal(30000, afterClear["proxyport"]);
        Assert.Equal(TruncateToMicroseconds(start), afterClear["starttime"]);
        Assert.Equal(3, afterClear["version"]);
    }

    [Fact]
    public async Task Stale_version_update_returns_false_and_changes_nothing()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1);
        Assert.True(await Insert(silo, version: 0));

        Assert.False(await Update(silo, Dead, "x", DateTime.UtcNow, version: 0));

        Assert.Equal(1, await TableVersion());
        var row = Assert.Single(await ReadAll());
        Assert.Equal(Joining, row["status"]);
        Assert.Null(row["suspecttimes"]);
    }

    [Fact]
    public async Task Update_of_a_missing_silo_returns_false_and_changes_nothing()
    {
        await InsertVersionRow();
        Assert.True(await Insert(new Silo("10.0.0.1", 11111, 1), version: 0));

        Assert.False(await Update(new Silo("10.0.0.1", 11111, 2), Active, null, DateTime.UtcNow, version: 1));

        Assert.Equal(1, await TableVersion());
        Assert.Equal(Joining, Assert.Single(await ReadAll())["status"]);
    }

    [Fact]
    public async Task Version_never_passes_int32_max()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1);
        Assert.True(await Insert(silo, version: 0));
        await ExecuteAsync(
            "UPDATE orleansmembershipversion SET version = 2147483647 WHERE deploymentid = @d", Text("d", _deploymentId));

        Assert.False(await Insert(new Silo("10.0.0.2", 11111, 1), version: int.MaxValue));
        Assert.False(await Update(silo, Active, null, DateTime.UtcNow, version: int.MaxValue));

        Assert.Equal(int.MaxValue, await TableVersion());
        Assert.Single(await ReadAll());
    }

    [Fact]
    public async Task Heartbeat_changes_only_iamalivetime_and_leaves_the_version()
    {
        await InsertVersionRow();
        var silo = new Silo("10.0.0.1", 11111, 1);
        var earlier = DateTime.UtcNow.AddMinutes(-5);
        Assert.True(await Insert(silo, version: 0, startTime: earlier, iAmAlive: earlier));
        var before = Assert.Single(await ReadAll());
        var now = new DateTime(2030, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);

        await Heartbeat(silo, now);

        var after = Assert.Single(await ReadAll());
        Assert.Equal(now, after["iamalivetime"]);
        Assert.Equal(1, after["version"]);
        foreach (var column in before.Keys.Where(k => k != "iamalivetime"))
        {
            Assert.Equal(before[column], after[column]);
        }
    }

    [Fact]
    public async Task Gateways_lists_only_active_silos_with_a_proxy_port()
    {
        await InsertVersionRow();
        var version = 0;
        async Task Add(Silo silo, int status)
        {
            Assert.True(await Insert(silo, version++));
            if (status != Joining)
            {
                Assert.True(await Update(silo, status, null, DateTime.UtcNow, version++));
            }
        }

        await Add(new Silo("10.0.0.1", 11111, 1, ProxyPort: 30001), Active);
        await Add(new Silo("10.0.0.2", 11111, 1, ProxyPort: 0), Active);
        await Add(new Silo("10.0.0.3", 11111, 1, ProxyPort: 30003), Joining);
        await Add(new Silo("10.0.0.4", 11111, 1, ProxyPort: 30004), Dead);
        await Add(new Silo("fe80::1", 11111, 5, ProxyPort: 30005), Active);

        var gateways = await RowsAsync(
            await QueryTextAsync("GatewaysQueryKey"), Text("DeploymentId", _deploymentId), Int("Status", Active));

        Assert.Equal(
            new[] { ("10.0.0.1", 30001, 1), ("fe80::1", 30005, 5) },
            gateways.Select(g => ((string)g["address"]!, (int)g["proxyport"]!, (int)g["generation"]!)).Order().ToArray());
    }

    [Fact]
    public async Task Cleanup_removes_only_old_dead_rows_and_leaves_the_version()
    {
        await InsertVersionRow();
        var now = DateTime.UtcNow;
        var old = now.AddHours(-2);
        var version = 0;
        async Task Add(Silo silo, int status, DateTime start, DateTime alive)
        {
            Assert.True(await Insert(silo, version++, startTime: start, iAmAlive: alive));
            Assert.True(await Update(silo, status, null, alive, version++));
        }

        await Add(new Silo("10.0.0.1", 11111, 1), Dead, old, old);                  // removed
        await Add(new Silo("10.0.0.2", 11111, 1), Dead, old, now);                  // recent heartbeat
        await Add(new Silo("10.0.0.3", 11111, 1), Active, old, old);                // not dead
        await Add(new Silo("10.0.0.4", 11111, 1), ShuttingDown, old, old);          // not dead
        await Add(new Silo("10.0.0.5", 11111, 1), Dead, now.AddMinutes(-1), old);   // recent start
        var otherCluster = new MembershipQueryTests();
        await otherCluster.InsertVersionRow();
        Assert.True(await otherCluster.Insert(new Silo("10.0.0.1", 11111, 1), 0, startTime: old, iAmAlive: old));
        Assert.True(await otherCluster.Update(new Silo("10.0.0.1", 11111, 1), Dead, null, old, 1));

        await ExecuteAsync(
            await QueryTextAsync("CleanupDefunctSiloEntriesKey"),
            Text("DeploymentId", _deploymentId), Utc("IAmAliveTime", now.AddHours(-1)));

        Assert.Equal(
            new[] { "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5" },
            (await ReadAll()).Select(r => (string)r["address"]!).Order().ToArray());
        Assert.Equal(version, await TableVersion());
        Assert.Single(await otherCluster.ReadAll());
    }

    [Fact]
    public async Task Delete_membership_table_entries_removes_silos_and_version_row_of_that_cluster_only()
    {
        await InsertVersionRow();
        Assert.True(await Insert(new Silo("10.0.0.1", 11111, 1), 0));
        var otherCluster = new MembershipQueryTests();
        await otherCluster.InsertVersionRow();

        await ExecuteAsync(await QueryTextAsync("DeleteMembershipTableEntriesKey"), Text("DeploymentId", _deploymentId));

        Assert.Empty(await ReadAll());
        Assert.Equal(0L, await ScalarAsync<long>(
            "SELECT count(*) FROM orleansmembership WHERE deploymentid = @d", Text("d", _deploymentId)));
        Assert.Single(await otherCluster.ReadAll());
    }

    private static DateTime TruncateToMicroseconds(DateTime value) => new(value.Ticks - (value.Ticks % 10), value.Kind);

    private async Task<bool> InsertVersionRow() =>
        await ScalarAsync<bool>(await QueryTextAsync("InsertMembershipVersionKey"), Text("DeploymentId", _deploymentId));

    private async Task<int> TableVersion() =>
        await ScalarAsync<int>("SELECT version FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", _deploymentId));

    private async Task<List<Dictionary<string, object?>>> ReadAll() =>
        await RowsAsync(await QueryTextAsync("MembershipReadAllKey"), Text("DeploymentId", _deploymentId));

    private async Task<List<Dictionary<string, object?>>> ReadRow(Silo silo) =>
        await RowsAsync(await QueryTextAsync("MembershipReadRowKey"), [Text("DeploymentId", _deploymentId), .. Address(silo)]);

    private async Task<bool> Insert(Silo silo, int version, DateTime? startTime = null, DateTime? iAmAlive = null) =>
        await ScalarAsync<bool>(
            await QueryTextAsync("InsertMembershipKey"),
            [
                Text("DeploymentId", _deploymentId), .. Address(silo),
                Text("SiloName", silo.Name), Text("HostName", "host"), Int("Status", silo.Status), Int("ProxyPort", silo.ProxyPort),
                Utc("StartTime", startTime ?? DateTime.UtcNow), Utc("IAmAliveTime", iAmAlive ?? DateTime.UtcNow), Int("Version", version),
            ]);

    private async Task<bool> Update(Silo silo, int status, string? suspectTimes, DateTime iAmAlive, int version) =>
        await ScalarAsync<bool>(
            await QueryTextAsync("UpdateMembershipKey"),
            [
                Text("DeploymentId", _deploymentId), .. Address(silo),
                Int("Status", status), Text("SuspectTimes", suspectTimes), Utc("IAmAliveTime", iAmAlive), Int("Version", version),
            ]);

    private async Task Heartbeat(Silo silo, DateTime iAmAlive) =>
        await ExecuteAsync(
            await QueryTextAsync("UpdateIAmAlivetimeKey"),
            [Text("DeploymentId", _deploymentId), .. Address(silo), Utc("IAmAliveTime", iAmAlive)]);

    private static NpgsqlParameter[] Address(Silo silo) =>
        [AnsiText("Address", silo.Address), Int("Port", silo.Port), Int("Generation", silo.Generation)];
}
