using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// One silo (in-memory test membership) whose grain storage is the real ADO.NET provider over
/// our schema, with a non-UTC session TimeZone. ServiceIds are unique per fixture.
/// </summary>
public sealed class GrainStorageClusterFixture : IAsyncLifetime
{
    private const string ConnectionStringKey = "FlexpriceTests:OrleansConnectionString";
    private const string OtherServiceIdKey = "FlexpriceTests:OtherServiceId";

    public string ServiceId { get; } = "storage-tests-" + Guid.NewGuid().ToString("N");

    public string OtherServiceId { get; } = "storage-tests-other-" + Guid.NewGuid().ToString("N");

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The silo's own instance of a storage provider, for acting as a concurrent writer.</summary>
    public IGrainStorage Storage(string name) =>
        Cluster.GetSiloServiceProvider(Cluster.Primary!.SiloAddress).GetRequiredKeyedService<IGrainStorage>(name);

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = ServiceId;
        builder.Options.ClusterId = "storage-cluster-" + Guid.NewGuid().ToString("N");
        builder.Properties[ConnectionStringKey] = await OrleansDb.ConnectionStringAsync();
        builder.Properties[OtherServiceIdKey] = OtherServiceId;
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
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
            siloBuilder.AddAdoNetGrainStorage(ProbeGrain.Store, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            siloBuilder.AddAdoNetGrainStorage(ProbeGrain.DeleteStore, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
                o.DeleteStateOnClear = true;
            });
            siloBuilder.AddAdoNetGrainStorage(ProbeGrain.OtherServiceStore, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });

            // Per-provider ClusterOptions override: this provider writes under another ServiceId.
            var otherServiceId = siloBuilder.Configuration[OtherServiceIdKey]!;
            siloBuilder.Services.AddKeyedSingleton(ProbeGrain.OtherServiceStore, (sp, _) =>
            {
                var cluster = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>().Value;
                return new ClusterOptions { ClusterId = cluster.ClusterId, ServiceId = otherServiceId };
            });
        }
    }
}
