using Flexprice.Grains.Storage;
using Flexprice.Silo;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Flexprice.Tests.RateLimiting;

/// <summary>
/// One in-process silo over the test PostgreSQL whose grains read time from <see cref="Clock"/>. Tests share the clock
/// and only move it forward; each uses fresh API keys, so they never see each other's windows.
/// </summary>
public sealed class RateLimitClusterFixture : IAsyncLifetime
{
    // The silo is built by the TestingHost from a type, not an instance: a static hands it the clock.
    private static readonly FakeTimeProvider SharedClock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public FakeTimeProvider Clock => SharedClock;

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The tenants and keys of the test database, for making keys.</summary>
    public TenantStore Store { get; private set; } = null!;

    private FlexpriceDatabase? _database;

    public async Task InitializeAsync()
    {
        var connectionString = await TestDatabase.ReadyAsync();
        _database = FlexpriceDatabase.Create(connectionString);
        Store = new TenantStore(_database, TimeProvider.System);
        var builder = new TestClusterBuilder(1);
        builder.Options.ClusterId = "ratelimit-" + Guid.NewGuid().ToString("N");
        builder.Options.ServiceId = builder.Options.ClusterId;
        builder.Properties["ConnectionStrings:Postgres"] = connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
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

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton<TimeProvider>(SharedClock);
            siloBuilder.Services.AddFlexpriceGrainServices();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RateLimitClusterCollection : ICollectionFixture<RateLimitClusterFixture>
{
    public const string Name = "rate-limit cluster";
}
