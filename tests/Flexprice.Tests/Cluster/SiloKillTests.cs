using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;
using Flexprice.Silo;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// Three silos (TestingHost) over the project's grain storage and event log in PostgreSQL. One is
/// killed while several senders ingest into many customers, retrying whatever fails with the same
/// event ids, as a client does after a 503. Afterwards every customer's usage is exactly the events
/// that were acknowledged, each counted once, and the log holds each of them once.
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 24;
    private const int Senders = 6;

    private TestCluster _cluster = null!;
    private FlexpriceDatabase _database = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await TestDatabase.ReadyAsync();
        _database = FlexpriceDatabase.Create(connectionString);
        var builder = new TestClusterBuilder(3);
        builder.Options.ServiceId = "silo-kill-" + Guid.NewGuid().ToString("N");
        builder.Options.ClusterId = "silo-kill-cluster-" + Guid.NewGuid().ToString("N");
        builder.Properties["ConnectionStrings:Postgres"] = connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Killing_a_silo_under_load_loses_no_acknowledged_event_and_counts_none_twice()
    {
        var clock = Stopwatch.StartNew();
        var tenants = new TenantStore(_database, TimeProvider.System);
        var customerStore = new CustomerStore(_database, TimeProvider.System);
        var (tenant, _) = await tenants.CreateTenantAsync("silo-kill", CancellationToken.None);
        var catalog = _cluster.GrainFactory.GetGrain<ITenantCatalogGrain>(tenant.Id);
        var sum = await catalog.CreateFeature(new NewFeature("credits", new Meter("model.usage", AggregationType.Sum, "credits"), "BILLING_PERIOD")) ?? throw new InvalidOperationException("feature not created");
        var count = await catalog.CreateFeature(new NewFeature("calls", new Meter("model.usage", AggregationType.Count, null), "BILLING_PERIOD")) ?? throw new InvalidOperationException("feature not created");
        var customers = Enumerable.Range(0, Customers).Select(i => $"cust-{i}").ToList();
        foreach (var customer in customers)
        {
            Assert.NotNull(await customerStore.CreateCustomerAsync(tenant.Id, customer, customer, null, null, CancellationToken.None));
        }

        var catalogVersion = (await catalog.GetSnapshot()).Version;
        var acknowledged = new ConcurrentDictionary<string, (string Customer, decimal Credits)>(StringComparer.Ordinal);
        var failures = 0;
        var killed = false;
        using var stop = new CancellationTokenSource();

        async Task SendAsync(int sender)
        {
            var random = new Random(sender);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var customer = customers[random.Next(customers.Count)];
                var events = Enumerable.Range(0, random.Next(1, 5))
                    .Select(k => NewEvent($"evt-{sender}-{n}-{k}", random.Next(1, 1000)))
                    .ToList();
                var grain = _cluster.GrainFactory.GetGrain<ICustomerGrain>(CustomerKey.For(tenant.Id, customer));
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var result = await grain.Ingest(new IngestBatch(catalogVersion, [.. events.Select(e => e.Event)]));
                        Assert.True(result.CustomerFound);
                        Assert.DoesNotContain(EventOutcome.Conflict, result.Outcomes.ToArray());
                        foreach (var e in events)
                        {
                            acknowledged[e.Event.EventId] = (customer, e.Credits);
                        }

                        break;
                    }
                    catch (Exception ex) when (ex is not Xunit.Sdk.XunitException && attempt < 60)
                    {
                        // What the API answers 503 for: retry the same events.
                        Interlocked.Increment(ref failures);
                        await Task.Delay(250);
                    }
                }
            }
        }

        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendAsync(s))).ToList();
        while (acknowledged.Count < 300)
        {
            await Task.Delay(50);
        }

        var victim = _cluster.SecondarySilos[0];
        var atKill = acknowledged.Count;
        await _cluster.KillSiloAsync(victim);
        killed = true;
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] killed {victim.SiloAddress} with {atKill} events acknowledged");

        // Keep sending until well after the kill, and past the failures it causes.
        var afterKill = Stopwatch.StartNew();
        while (afterKill.Elapsed < TimeSpan.FromSeconds(8) || acknowledged.Count < atKill + 300)
        {
            Assert.True(afterKill.Elapsed < TimeSpan.FromSeconds(90), $"ingestion did not recover: {acknowledged.Count - atKill} acknowledged since the kill");
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(senders);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] {acknowledged.Count} events acknowledged, {acknowledged.Count - atKill} after the kill; {failures} failed calls retried");
        Assert.True(killed);

        var stored = await StoredAsync(tenant.Id);
        Assert.Equal(acknowledged.Count, stored.Count);
        foreach (var (id, (customer, credits)) in acknowledged)
        {
            Assert.True(stored.TryGetValue(id, out var s) && s == (customer, credits), $"acknowledged event {id} is not stored as sent");
        }

        foreach (var customer in customers)
        {
            var mine = acknowledged.Values.Where(a => a.Customer == customer).ToList();
            var usage = await _cluster.GrainFactory.GetGrain<ICustomerGrain>(CustomerKey.For(tenant.Id, customer)).GetUsage(CatalogSnapshot.LatestVersion);
            Assert.NotNull(usage);
            var byFeature = usage.Features.ToDictionary(f => f.Feature.Id, StringComparer.Ordinal);
            Assert.Equal(UsageValue.Of(mine.Sum(a => a.Credits)), byFeature[sum.Id].Value);
            Assert.Equal(UsageValue.Of(mine.Count), byFeature[count.Id].Value);
            Assert.Equal(mine.Count, byFeature[sum.Id].EventCount);
        }
    }

    private static (IngestEvent Event, decimal Credits) NewEvent(string id, int credits)
    {
        var json = $$"""{"credits": {{credits.ToString(CultureInfo.InvariantCulture)}}}""";
        var time = DateTime.UtcNow;
        time = new DateTime(time.Ticks - time.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        using var properties = JsonDocument.Parse(json);
        return (new IngestEvent(id, "model.usage", time, "silo-kill", json, EventFingerprint.Compute("model.usage", properties.RootElement, time), EventIdGiven: true), credits);
    }

    private static async Task<Dictionary<string, (string Customer, decimal Credits)>> StoredAsync(string tenantId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT event_id, external_customer_id, (properties->>'credits')::numeric FROM events WHERE tenant_id = @tenant", connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        var stored = new Dictionary<string, (string, decimal)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.True(stored.TryAdd(reader.GetString(0), (reader.GetString(1), reader.GetDecimal(2))), $"event {reader.GetString(0)} is stored twice");
        }

        return stored;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddFlexpriceGrainServices();
            siloBuilder.AddFlexpriceGrainStorage();
            siloBuilder.Services.Configure<CustomerGrainOptions>(options =>
            {
                // Checkpoints land among the kill, so activations elsewhere start from one and replay the log.
                options.CheckpointEveryEvents = 20;
                options.CheckpointInterval = TimeSpan.FromSeconds(1);
            });
        }
    }
}
