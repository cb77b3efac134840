using System.Net;
using Orleans.Runtime;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// Silo failures on their own cluster: an ungraceful death leaves grain-directory ranges leased
/// for ~20 s, which would stall grain calls in the other clustering tests.
/// </summary>
public sealed class SiloFailureTests(ClusteringClusterFixture fixture) : ClusterTestBase(fixture), IClassFixture<ClusteringClusterFixture>
{
    [Fact]
    public async Task Killed_silo_ends_up_dead()
    {
        var silo = await Fixture.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(Active, await StatusOf(silo.SiloAddress));

        // In-process "kill" is an ungraceful stop: the silo still marks itself Dead.
        await Fixture.Cluster.KillSiloAsync(silo);

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
        Assert.All(suspecters, s => Assert.Contains(s, Fixture.Cluster.GetActiveSilos().Select(a => a.SiloAddress)));
    }
}
