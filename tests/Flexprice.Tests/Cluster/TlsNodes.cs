using System.Globalization;
using Flexprice.Grains;
using Flexprice.Silo;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// Silos and Orleans clients of one cluster over the test PostgreSQL, each a host of its own on ports of
/// its own, set up exactly as src/Silo and an API node in client mode set themselves up, from settings.
/// </summary>
public static class TlsNodes
{
    /// <summary>A silo (<see cref="SiloHosting.AddFlexpriceSilo"/>) with <paramref name="settings"/> on top of the cluster's.</summary>
    public static async Task<IHost> StartSiloAsync(string clusterId, IDictionary<string, string?> settings)
    {
        var builder = await BuilderAsync(clusterId, settings, new()
        {
            ["Orleans:SiloPort"] = ApiFactory.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ApiFactory.FreePort().ToString(CultureInfo.InvariantCulture),
            // A silo that cannot reach the others gives up joining after this, instead of Orleans' 5 minutes.
            ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
            ["Orleans:Membership:MaxJoinAttemptTime"] = "00:00:06",
        });
        builder.AddFlexpriceSilo();
        // A silo that failed to join keeps its membership loop running after its host is disposed (Orleans will
        // not stop a silo that is still starting); once the cluster declares it dead, Orleans would fail the
        // whole test process fast, taking every other test with it.
        builder.Services.StopHostOnFatalError();
        return await StartAsync(builder);
    }

    /// <summary>An Orleans client as an API node in client mode (<see cref="SiloHosting.AddFlexpriceClient"/>).</summary>
    public static async Task<IHost> StartClientAsync(string clusterId, IDictionary<string, string?> settings)
    {
        var builder = await BuilderAsync(clusterId, settings, new() { ["Orleans:ClientConnectTimeout"] = "00:00:02" });
        builder.AddFlexpriceClient();
        return await StartAsync(builder);
    }

    /// <summary>
    /// An Orleans client that is not ours: it finds the gateways in the membership table and sets up its
    /// connections with <paramref name="configure"/> alone (e.g. TLS that accepts any server), and does not retry.
    /// </summary>
    public static async Task<IHost> StartForeignClientAsync(string clusterId, Action<IClientBuilder> configure)
    {
        var connectionString = await TestDatabase.ReadyAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId));
            client.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (SiloHosting.AdoNetInvariant, connectionString));
            // Orleans' default retries for minutes; one refused attempt is the answer here.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            configure(client);
        });
        return await StartAsync(builder);
    }

    public static Task<DateTimeOffset> PingAsync(this IHost node) =>
        node.Services.GetRequiredService<IClusterClient>().GetGrain<IHealthGrain>(0).Ping();

    private static async Task<HostApplicationBuilder> BuilderAsync(
        string clusterId, IDictionary<string, string?> settings, Dictionary<string, string?> defaults)
    {
        defaults["ConnectionStrings:Postgres"] = await TestDatabase.ReadyAsync();
        defaults["Orleans:ClusterId"] = clusterId;
        defaults["Orleans:ServiceId"] = clusterId;
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration.AddInMemoryCollection(defaults).AddInMemoryCollection(settings);
        return builder;
    }

    private static async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
