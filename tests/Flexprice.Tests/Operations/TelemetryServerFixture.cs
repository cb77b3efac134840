using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Operations;

/// <summary>
/// The real server as its own process, so that its <c>/metrics</c> and its console output hold only what this
/// test class does: JSON console logs, routing logged at Debug (lines written in the middle of every request).
/// </summary>
public sealed class TelemetryServerFixture : IAsyncLifetime
{
    public ServerSettings Settings { get; private set; } = null!;

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "telemetry") with
        {
            Extra = new Dictionary<string, string>
            {
                ["Logging__Console__FormatterName"] = "json",
                ["Logging__LogLevel__Microsoft.AspNetCore.Routing"] = "Debug",
            },
        };
        Server = await ServerProcess.StartAsync(Settings, TimeSpan.FromSeconds(90));
    }

    public Task DisposeAsync()
    {
        Server?.Dispose();
        return Task.CompletedTask;
    }
}
