using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// Two silos and a client that find each other only through the real ADO.NET clustering
/// provider over our schema (TestingHost's in-memory membership is off), with a non-UTC session
/// TimeZone and short liveness timings so deaths are declared within seconds.
/// </summary>
public sealed class ClusteringClusterFixture : IAsyncLifetime
{
    public const int InitialSilos = 2;

    private const string ConnectionStringKey = "FlexpriceTests:OrleansConnectionString";

    public string ClusterId { get; } = "clustering-tests-" + Guid.NewGuid().ToString("N");

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>The membership tables right after the initial silos started together.</summary>
    public long VersionRowsAfterStart { get; private set; }

    public int VersionAfterStart { get; private set; }

    public IReadOnlyList<int> StatusesAfterStart { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(InitialSilos);
        builder.Options.ServiceId = "clustering-service-" + Guid.NewGuid().ToString("N");
        builder.Options.ClusterId = ClusterId;
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[ConnectionStringKey] = await ConnectionStringAsync();
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        VersionRowsAfterStart = (await ScalarAsync<long?>(
            "SELECT count(*) FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", ClusterId))) ?? 0;
        VersionAfterStart = await ScalarAsync<int>(
            "SELECT version FROM orleansmembershipversion WHERE deploymentid = @d", Text("d", ClusterId));
        StatusesAfterStart = (await RowsAsync(
            "SELECT status FROM orleansmembership WHERE deploymentid = @d", Text("d", ClusterId))).Select(r => (int)r["status"]!).ToList();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
            siloBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            var connectionString = configuration[ConnectionStringKey]!;
            clientBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            clientBuilder.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        }
    }
}
