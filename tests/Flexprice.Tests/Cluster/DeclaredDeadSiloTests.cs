using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// A silo that reads that it is dead in the membership table stops. Orleans does it with
/// <c>Environment.FailFast</c>; a silo hosted by the test process stops its own host instead
/// (<see cref="StopHostOnFatalError"/>), or one such silo would end the whole run: a CI run was aborted
/// that way, after 168 passed tests, by a single-silo cluster whose row read Dead two seconds after it
/// started. Without the handler this test takes the test process down.
/// </summary>
public sealed class DeclaredDeadSiloTests
{
    [Fact]
    public async Task A_silo_declared_dead_stops_its_own_host_and_the_test_process_goes_on()
    {
        await using var api = new QuickRefreshApi();
        await api.InitializeAsync();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = api.Services.GetRequiredService<IHostApplicationLifetime>()
            .ApplicationStopping.Register(() => stopping.TrySetResult());
        var silo = api.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

        // What a cluster does to a silo it finds unresponsive, or a newer incarnation at its address does to an
        // old one: its row says Dead, in a new version of the table.
        var declared = await ExecuteAsync(
            """
            UPDATE orleansmembership SET status = 6
            WHERE deploymentid = @d AND address = @a AND port = @p AND generation = @g;
            UPDATE orleansmembershipversion SET version = version + 1 WHERE deploymentid = @d;
            """,
            Text("d", api.ClusterId), Text("a", silo.Endpoint.Address.ToString()), Int("p", silo.Endpoint.Port), Int("g", silo.Generation));
        Assert.Equal(2, declared);

        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>The API whose silo reads the membership table every second (Orleans' default: every minute).</summary>
    private sealed class QuickRefreshApi : ApiFactory
    {
        protected override void ConfigureSettings(IWebHostBuilder builder) =>
            builder.UseSetting("Orleans:Membership:TableRefreshTimeout", "00:00:01");
    }
}
