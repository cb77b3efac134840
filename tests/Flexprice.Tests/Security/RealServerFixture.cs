using System.Net;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Flexprice.Tests.Security;

/// <summary>
/// The real server in its own OS process (silo co-hosted), shared by the hostile-input and noisy-neighbour
/// tests, with rate limits raised so that the tests measure the door, not the limits (failed
/// authentications are still throttled, with a short penalty). <see cref="ClusterClientAsync"/> is an
/// Orleans client of its silo, for poison that only a gap in the door's validation would let through.
/// </summary>
public sealed class RealServerFixture : IAsyncLifetime
{
    private IHost? _clientHost;

    public ServerSettings Settings { get; private set; } = null!;

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "hostile") with
        {
            Extra = new Dictionary<string, string>
            {
                ["RateLimits__EventsPerMinute"] = "1000000",
                ["RateLimits__ReadsPerMinute"] = "1000000",
                ["RateLimits__BulkPerMinute"] = "1000000",
                ["RateLimits__FailedAuthPerMinute"] = "20",
                ["RateLimits__FailedAuthPenalty"] = "00:00:00.050",
                ["RateLimits__FailedAuthConcurrency"] = "4",
            },
        };
        Server = await ServerProcess.StartAsync(Settings, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_clientHost is not null)
        {
            await _clientHost.StopAsync();
            _clientHost.Dispose();
        }

        Server.Dispose();
    }

    /// <summary>An Orleans client connected to the server's gateway.</summary>
    public async Task<IClusterClient> ClusterClientAsync()
    {
        if (_clientHost is null)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.UseOrleansClient(client =>
            {
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, Settings.GatewayPort));
                client.Configure<ClusterOptions>(options => (options.ClusterId, options.ServiceId) = (Settings.ClusterId, Settings.ClusterId));
            });
            _clientHost = builder.Build();
            await _clientHost.StartAsync();
        }

        return _clientHost.Services.GetRequiredService<IClusterClient>();
    }
}

[CollectionDefinition(Name)]
public sealed class RealServerCollection : ICollectionFixture<RealServerFixture>
{
    public const string Name = "real server";
}
