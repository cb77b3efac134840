using Flexprice.Grains;
using Flexprice.Grains.Storage;
using Flexprice.Silo;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Flexprice.Tests.Grains;

[CollectionDefinition(Name)]
public sealed class CustomerGrainCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Customer grain cluster";
}

/// <summary>
/// One silo (TestingHost membership) hosting the real grains with the project's own service and
/// grain-storage registrations over PostgreSQL. The recent-id memory and the checkpoint period are
/// small so that the log decides duplicates and checkpoints happen within a test.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int RecentEventIds = 4;
    public const int CheckpointEveryEvents = 5;

    private const string ConnectionStringKey = "ConnectionStrings:Postgres";

    private FlexpriceDatabase? _database;
    private string _connectionString = "";

    /// <summary>Pinned for the fixture's life, also across restarts: checkpoints are stored under it.</summary>
    public string ServiceId { get; } = "grain-tests-" + Guid.NewGuid().ToString("N");

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The catalog tables, written directly (tenants, customers).</summary>
    public TenantStore Tenants { get; private set; } = null!;

    public CustomerStore Customers { get; private set; } = null!;

    /// <summary>Features as the database holds them (not through the catalog grain's cache).</summary>
    public FeatureStore Features { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabase.ReadyAsync();
        _database = FlexpriceDatabase.Create(_connectionString);
        Tenants = new TenantStore(_database, TimeProvider.System);
        Customers = new CustomerStore(_database, TimeProvider.System);
        Features = new FeatureStore(_database, TimeProvider.System);
        Cluster = await StartClusterAsync();
    }

    /// <summary>
    /// Kills the silo (no graceful deactivation, so no last checkpoint: as after <c>kill -9</c>) and
    /// starts a new cluster of the same service over the same database.
    /// </summary>
    public async Task CrashAndRestartAsync()
    {
        foreach (var silo in Cluster.Silos.ToList())
        {
            await Cluster.KillSiloAsync(silo);
        }

        await Cluster.DisposeAsync();
        Cluster = await StartClusterAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private async Task<TestCluster> StartClusterAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = ServiceId;
        builder.Options.ClusterId = "grain-tests-cluster-" + Guid.NewGuid().ToString("N");
        builder.Properties[ConnectionStringKey] = _connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddFlexpriceGrainServices();
            siloBuilder.AddFlexpriceGrainStorage();
            siloBuilder.Services.Configure<CustomerGrainOptions>(options =>
            {
                options.RecentEventIds = RecentEventIds;
                options.CheckpointEveryEvents = CheckpointEveryEvents;
                // Only the event count (and deactivation) checkpoints during a test.
                options.CheckpointInterval = TimeSpan.FromHours(1);
            });
        }
    }
}
