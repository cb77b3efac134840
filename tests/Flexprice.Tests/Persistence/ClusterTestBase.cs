using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Orleans.Runtime;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>Database probes shared by the live-cluster clustering tests.</summary>
public abstract class ClusterTestBase(ClusteringClusterFixture fixture)
{
    protected const int Active = 3;
    protected const int Dead = 6;

    protected ClusteringClusterFixture Fixture => fixture;

    protected static int FreePort() => Infrastructure.ApiFactory.FreePort();

    protected async Task<bool> InsertActivePhantom(SiloAddress silo)
    {
        var insert = await QueryTextAsync("InsertMembershipKey");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var now = DateTime.UtcNow;
            var inserted = await ScalarAsync<bool>(
                insert,
                Text("DeploymentId", Fixture.ClusterId), AnsiText("Address", silo.Endpoint.Address.ToString()),
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

    protected async Task<int?> WaitForStatus(SiloAddress silo, int status)
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

    protected SiloAddress AnySilo() => Fixture.Cluster.GetActiveSilos().First().SiloAddress;

    protected async Task<int> TableVersion() => await ScalarAsync<int>(
        "SELECT version FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", Fixture.ClusterId));

    protected async Task<List<Dictionary<string, object?>>> SiloRows(SiloAddress silo) => await RowsAsync(
        "SELECT status, suspecttimes, iamalivetime FROM orleansmembership WHERE deploymentid = @d AND address = @a AND port = @p AND generation = @g",
        Text("d", Fixture.ClusterId), Text("a", silo.Endpoint.Address.ToString()), Int("p", silo.Endpoint.Port), Int("g", silo.Generation));

    protected async Task<int?> StatusOf(SiloAddress silo) => (int?)(await SiloRows(silo)).SingleOrDefault()?["status"];

    protected async Task<(DateTime Alive, int Version)> AliveAndVersion(SiloAddress silo)
    {
        var row = Assert.Single(await SiloRows(silo));
        return ((DateTime)row["iamalivetime"]!, await TableVersion());
    }

    protected async Task<List<string>> GatewayRows() =>
        (await RowsAsync(await QueryTextAsync("GatewaysQueryKey"), Text("DeploymentId", Fixture.ClusterId), Int("Status", Active)))
        .Select(r => $"{r["address"]}:{r["proxyport"]}").ToList();
}
