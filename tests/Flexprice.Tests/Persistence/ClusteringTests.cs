using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Messaging;
using Orleans.Runtime;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// A live TestingHost cluster over Microsoft.Orleans.Clustering.AdoNet and our schema
/// (contract §4 and §6 "Clustering").
/// </summary>
public sealed class ClusteringTests(ClusteringClusterFixture fixture) : ClusterTestBase(fixture), IClassFixture<ClusteringClusterFixture>
{
    [Fact]
    public void Silos_starting_together_create_one_version_row_and_all_become_active()
    {
        Assert.Equal(1L, Fixture.VersionRowsAfterStart);
        Assert.Equal(Enumerable.Repeat(Active, ClusteringClusterFixture.InitialSilos), Fixture.StatusesAfterStart);

        // Each silo inserts itself (Joining) and updates itself (Active): one bump each.
        Assert.Equal(2 * ClusteringClusterFixture.InitialSilos, Fixture.VersionAfterStart);
    }

    [Fact]
    public async Task Client_connects_through_the_gateway_list_of_active_silos()
    {
        var key = Guid.NewGuid();

        var reply = await Fixture.Cluster.Client.GetGrain<IPingGrain>(key).Ping();

        Assert.Equal(key.ToString(), reply);
        var gateways = await Fixture.Cluster.Client.ServiceProvider.GetRequiredService<IGatewayListProvider>().GetGateways();
        // The handles' gateway addresses carry generation 0; the table carries the real one.
        var activeGateways = Fixture.Cluster.GetActiveSilos().Select(s => s.GatewayAddress.Endpoint.ToString());
        Assert.Equal(activeGateways.Order(), gateways.Select(g => $"{g.Host}:{g.Port}").Order());
        Assert.All(gateways, g => Assert.Equal("gwy.tcp", g.Scheme));
    }

    [Fact]
    public async Task Provider_reads_every_silo_with_the_table_version_as_etag_and_utc_times()
    {
        var table = Fixture.Cluster.GetSiloServiceProvider(AnySilo()).GetRequiredService<IMembershipTable>();
        var dbVersion = await TableVersion();

        var data = await table.ReadAllAsync();

        Assert.Equal(dbVersion, data.Version.Version);
        Assert.Equal(dbVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), data.Version.VersionEtag);
        Assert.All(data.Members, m => Assert.Equal(data.Version.VersionEtag, m.Item2));
        foreach (var silo in Fixture.Cluster.GetActiveSilos())
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
        var silo = await Fixture.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(Active, await StatusOf(silo.SiloAddress));
        Assert.Contains(silo.SiloAddress.Endpoint.Address + ":" + silo.GatewayAddress.Endpoint.Port, await GatewayRows());
        var versionBefore = await TableVersion();

        await Fixture.Cluster.StopSiloAsync(silo);

        Assert.Equal(Dead, await StatusOf(silo.SiloAddress));
        Assert.DoesNotContain(silo.SiloAddress.Endpoint.Address + ":" + silo.GatewayAddress.Endpoint.Port, await GatewayRows());
        Assert.True(await TableVersion() >= versionBefore + 2, "Expected ShuttingDown/Stopping and Dead updates.");
    }

    [Fact]
    public async Task Provider_inserts_at_the_read_version_rejects_stale_ones_and_cleans_up_only_old_dead_rows()
    {
        var table = Fixture.Cluster.GetSiloServiceProvider(AnySilo()).GetRequiredService<IMembershipTable>();
        var old = DateTime.UtcNow.AddHours(-2);
        var phantom = new MembershipEntry
        {
            SiloAddress = SiloAddress.New(IPAddress.Loopback, FreePort(), SiloAddress.AllocateNewGeneration()),
            Status = SiloStatus.Dead,
            SiloName = "defunct",
            HostName = "nowhere",
            ProxyPort = 0,
            StartTime = old,
            IAmAliveTime = old,
        };

        var inserted = false;
        TableVersion? readVersion = null;
        for (var attempt = 0; attempt < 10 && !inserted; attempt++)
        {
            readVersion = (await table.ReadAllAsync()).Version;
            inserted = await table.InsertRowAsync(phantom, readVersion.Next());
        }

        Assert.True(inserted);
        Assert.Equal(readVersion!.Version + 1, await TableVersion());
        var stale = new MembershipEntry
        {
            SiloAddress = SiloAddress.New(IPAddress.Loopback, FreePort(), SiloAddress.AllocateNewGeneration()),
            Status = SiloStatus.Dead,
            SiloName = "stale",
            HostName = "nowhere",
            StartTime = old,
            IAmAliveTime = old,
        };
        Assert.False(await table.InsertRowAsync(stale, readVersion.Next()));
        var versionBeforeCleanup = await TableVersion();

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(-30));

        Assert.Empty(await SiloRows(phantom.SiloAddress));
        Assert.Empty(await SiloRows(stale.SiloAddress));
        Assert.All(Fixture.Cluster.GetActiveSilos(), s => Assert.Single(SiloRows(s.SiloAddress).GetAwaiter().GetResult()));
        Assert.Equal(versionBeforeCleanup, await TableVersion());
    }
}
