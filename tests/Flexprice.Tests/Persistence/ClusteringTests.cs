using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.TestingHost;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// A live TestingHost cluster over Microsoft.Orleans.Clustering.AdoNet and our schema
/// (contract §4 and §6 "Clustering").
/// </summary>
public sealed class ClusteringTests(ClusteringClusterFixture fixture) : IClassFixture<ClusteringClusterFixture>
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public void Silos_starting_together_create_one_version_row_and_all_become_active()
    {
        Assert.Equal(1L, fixture.VersionRowsAfterStart);
        Assert.Equal(Enumerable.Repeat(Active, ClusteringClusterFixture.InitialSilos), fixture.StatusesAfterStart);

        // Each silo inserts itself (Joining) and updates itself (Active): one bump each.
        Assert.Equal(2 * ClusteringClusterFixture.InitialSilos, fixture.VersionAfterStart);
    }

    [Fact]
    public async Task Client_connects_through_the_gateway_list_of_active_silos()
    {
        var key = Guid.NewGuid();

        var reply = await fixture.Cluster.Client.GetGrain<IPingGrain>(key).Ping();

        Assert.Equal(key.ToString(), reply);
        var gateways = await fixture.Cluster.Client.ServiceProvider.GetRequiredService<IGatewayListProvider>().GetGateways();
        // The handles' gateway addresses carry generation 0; the table carries the real one.
        var activeGateways = fixture.Cluster.GetActiveSilos().Select(s => s.GatewayAddress.Endpoint.ToString());
        Assert.Equal(activeGateways.Order(), gateways.Select(g => $"{g.Host}:{g.Port}").Order());
        Assert.All(gateways, g => Assert.Equal("gwy.tcp", g.Scheme));
    }

    [Fact]
    public async Task Provider_reads_every_silo_with_the_table_version_as_etag_and_utc_times()
    {
        var table = fixture.Cluster.GetSiloServiceProvider(AnySilo()).GetRequiredService<IMembershipTable>();
        var dbVersion = await TableVersion();

        var data = await table.ReadAllAsync();

        Assert.Equal(dbVersion, data.Version.Version);
        Assert.Equal(dbVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), data.Version.VersionEtag);
        Assert.All(data.Members, m => Assert.Equal(data.Version.VersionEtag, m.Item2));
        foreach (var silo in fixture.Cluster.GetActiveSilos())
        {
            var (entry, _) = Assert.Single(data.Members, m => m.Item1.SiloAddress.Equals(silo.SiloAddress));
            Assert.Equal(SiloStatus.Active, entry.Status);
            Assert.Equal(DateTimeKind.Utc, entry.StartTime.Kind);
            Assert.InRange(entry.StartTime, DateTime.UtcNow.AddMinutes(-2), DateTime.UtcNow.AddSeconds(5));
            Assert.InRange(entry.IAmAliveTime, DateTime.UtcNow.AddMinutes(-2), DateTime.UtcNow.AddSeconds(5));
        }
    }

    [Fact]
    public async Task Heartbeats_advance_iamalivetime_without_bumping_the_version()
    {
        var primary = AnySilo();
        var (before, versionBefore) = await AliveAndVersion(primary);

        var after = before;
        var clock = Stopwatch.StartNew();
        while (after <= before && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(200);
            (after, _) = await AliveAndVersion(primary);
        }

        var (_, versionAfter) = await AliveAndVersion(primary);
        Assert.True(after > before, "IAmAliveTime did not advance within 10 s.");
        Assert.Equal(versionBefore, versionAfter);
    }

    [Fact]
    public async Task Graceful_stop_marks_the_silo_dead_and_drops_it_from_the_gateway_list()
    {
        var silo = await fixture.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(Active, await StatusOf(silo.SiloAddress));
        Assert.Contains(silo.SiloAddress.Endpoint.Address + ":" + silo.GatewayAddress.Endpoint.Port, await GatewayRows());
        var versionBefore = await TableVersion();

        await fixture.Cluster.StopSiloAsync(silo);

        Assert.Equal(Dead, await StatusOf(silo.SiloAddress));
        Assert.DoesNotContain(silo.SiloAddress.Endpoint.Address + ":" + silo.GatewayAddress.Endpoint.Port, await GatewayRows());
        Assert.True(await TableVersion() >= versionBefore + 2, "Expected ShuttingDown/Stopping and Dead updates.");
    }

    [Fact]
    public async Task Killed_silo_ends_up_dead()
    {
        var silo = await fixture.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(Active, await StatusOf(silo.SiloAddress));

        // In-process "kill" is an ungraceful stop: the silo still marks itself Dead.
        await fixture.Cluster.KillSiloAsync(silo);

        Assert.Equal(Dead, await WaitForStatus(silo.SiloAddress, Dead));
    }

    [Fact]
    public async Task Unresponsive_silo_is_suspected_by_another_silo_and_declared_dead()
    {
        // A row for a silo that never answers: what a crashed process leaves behind. The live
        // silos probe it, record suspicions and declare it Dead, all through UpdateMembershipKey.
        var phantom = SiloAddress.New(IPAddress.Loopback, FreePort(), SiloAddress.AllocateNewGeneration());
        Assert.True(await InsertActivePhantom(phantom), "Could not insert the phantom silo row.");

        Assert.Equal(Dead, await WaitForStatus(phantom, Dead));

        var row = Assert.Single(await SiloRows(phantom));
        var suspicions = ((string?)row["suspecttimes"] ?? string.Empty).Split('|', StringSplitOptions.RemoveEmptyEntries);
        var suspecters = suspicions.Select(s => SiloAddress.FromParsableString(s.Split(',')[0])).ToList();
        Assert.NotEmpty(suspecters);
        Assert.All(suspecters, s => Assert.Contains(s, fixture.Cluster.GetActiveSilos().Select(a => a.SiloAddress)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> InsertActivePhantom(SiloAddress silo)
    {
        var insert = await QueryTextAsync("InsertMembershipKey");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var now = DateTime.UtcNow;
            var inserted = await ScalarAsync<bool>(
                insert,
                Text("DeploymentId", fixture.ClusterId), AnsiText("Address", silo.Endpoint.Address.ToString()),
                Int("Port", silo.Endpoint.Port), Int("Generation", silo.Generation), Text("SiloName", "phantom"),
                Text("HostName", "nowhere"), Int("Status", Active), Int("ProxyPort", 0),
                Utc("StartTime", now), Utc("IAmAliveTime", now), Int("Version", await TableVersion()));
            if (inserted)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<int?> WaitForStatus(SiloAddress silo, int status)
    {
        var clock = Stopwatch.StartNew();
        var current = await StatusOf(silo);
        while (current != status && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
            current = await StatusOf(silo);
        }

        return current;
    }

    private SiloAddress AnySilo() => fixture.Cluster.GetActiveSilos().First().SiloAddress;

    private async Task<int> TableVersion() => await ScalarAsync<int>(
        "SELECT version FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", fixture.ClusterId));

    private async Task<List<Dictionary<string, object?>>> SiloRows(SiloAddress silo) => await RowsAsync(
        "SELECT status, suspecttimes, iamalivetime FROM orleansmembership WHERE deploymentid = @d AND address = @a AND port = @p AND generation = @g",
        Text("d", fixture.ClusterId), Text("a", silo.Endpoint.Address.ToString()), Int("p", silo.Endpoint.Port), Int("g", silo.Generation));

    private async Task<int?> StatusOf(SiloAddress silo) => (int?)(await SiloRows(silo)).SingleOrDefault()?["status"];

    private async Task<(DateTime Alive, int Version)> AliveAndVersion(SiloAddress silo)
    {
        var row = Assert.Single(await SiloRows(silo));
        return ((DateTime)row["iamalivetime"]!, await TableVersion());
    }

    private async Task<List<string>> GatewayRows() =>
        (await RowsAsync(await QueryTextAsync("GatewaysQueryKey"), Text("DeploymentId", fixture.ClusterId), Int("Status", Active)))
        .Select(r => $"{r["address"]}:{r["proxyport"]}").ToList();
}
