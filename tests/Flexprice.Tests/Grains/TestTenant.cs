using System.Text;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Grains;

/// <summary>A fresh tenant per test: its features, customers and grains, and what the database holds for them.</summary>
internal sealed class TestTenant(ClusterFixture fixture, string id)
{
    public static readonly DateTime T0 = new(2025, 8, 22, 7, 5, 49, DateTimeKind.Utc);

    public string Id { get; } = id;

    public static async Task<TestTenant> CreateAsync(ClusterFixture fixture)
    {
        var (tenant, _) = await fixture.Tenants.CreateTenantAsync("grain-tests", CancellationToken.None);
        return new TestTenant(fixture, tenant.Id);
    }

    /// <summary>Creates a feature through the catalog grain, so that its cache (and customer grains) see it.</summary>
    public async Task<FeatureDefinition> FeatureAsync(string eventName, AggregationType aggregation, string? field = null) =>
        await Catalog().CreateFeature(new NewFeature($"{aggregation.ToWireName()} {field ?? eventName}", new Meter(eventName, aggregation, field), "BILLING_PERIOD"))
        ?? throw new InvalidOperationException("The feature was not created");

    public async Task<string> CustomerAsync(string? externalId = null)
    {
        externalId ??= "cust-" + Guid.NewGuid().ToString("N");
        Assert.NotNull(await fixture.Customers.CreateCustomerAsync(Id, externalId, "Customer " + externalId, null, null, CancellationToken.None));
        return externalId;
    }

    public ICustomerGrain Grain(string customer) => fixture.Grains.GetGrain<ICustomerGrain>(CustomerKey.For(Id, customer));

    public string GrainKey(string customer) => CustomerKey.For(Id, customer);

    public async Task<IngestResult> IngestAsync(string customer, params IngestEvent[] events) =>
        await Grain(customer).Ingest(new IngestBatch(await CatalogVersionAsync(), [.. events]));

    public async Task<IngestResult> CheckAsync(string customer, params IngestEvent[] events) =>
        await Grain(customer).Check(new IngestBatch(await CatalogVersionAsync(), [.. events]));

    /// <summary>Usage by feature id; every feature of the tenant is listed.</summary>
    public async Task<Dictionary<string, FeatureUsage>> UsageAsync(string customer)
    {
        var usage = await Grain(customer).GetUsage(CatalogSnapshot.LatestVersion);
        Assert.NotNull(usage);
        Assert.Equal(customer, usage.ExternalCustomerId);
        return usage.Features.ToDictionary(f => f.Feature.Id, StringComparer.Ordinal);
    }

    /// <summary>
    /// Usage by feature id once no feature is still catching up (a feature new to the customer reads its earlier events
    /// in the background and reports <see cref="FeatureUsage.Partial"/> until then); waits at most 30 s.
    /// </summary>
    public async Task<Dictionary<string, FeatureUsage>> CaughtUpUsageAsync(string customer)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var usage = await UsageAsync(customer);
            if (usage.Values.All(f => !f.Partial) || DateTime.UtcNow > deadline)
            {
                return usage;
            }

            await Task.Delay(20);
        }
    }

    public async Task<long> StoredEventsAsync(string customer) =>
        await TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND external_customer_id = @c", ("t", Id), ("c", customer));

    public async Task<long> SeqOfAsync(string customer, string eventId) =>
        await TestDatabase.ScalarAsync<long>(
            "SELECT customer_seq FROM events WHERE tenant_id = @t AND external_customer_id = @c AND event_id = @e", ("t", Id), ("c", customer), ("e", eventId));

    /// <summary>Writes a row straight into the log, as another activation of the customer would.</summary>
    public Task InsertIntoLogAsync(string customer, long seq, IngestEvent e) => LogRows.InsertAsync(Id, customer, seq, e);

    /// <summary>The customer's checkpoint row in Orleans grain storage: its version and the log position it covers; null when none.</summary>
    public async Task<(int Version, long LastSeq)?> CheckpointAsync(string customer)
    {
        var version = await TestDatabase.ScalarAsync<int>(
            "SELECT version FROM orleansstorage WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k",
            ("s", fixture.ServiceId), ("k", GrainKey(customer)));
        if (version == 0)
        {
            return null;
        }

        var payload = await TestDatabase.ScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k",
            ("s", fixture.ServiceId), ("k", GrainKey(customer)));
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(payload!));
        return (version, document.RootElement.GetProperty("LastSeq").GetInt64());
    }

    public async Task<long> CatalogVersionAsync() => (await Catalog().GetSnapshot()).Version;

    private ITenantCatalogGrain Catalog() => fixture.Grains.GetGrain<ITenantCatalogGrain>(Id);

    /// <summary>An event as the API would build it, with a client-given timestamp (whole seconds: PostgreSQL keeps microseconds).</summary>
    public static IngestEvent Event(string id, string name, string propertiesJson, DateTime? timestamp = null)
    {
        var time = timestamp ?? T0;
        using var properties = JsonDocument.Parse(propertiesJson);
        return new IngestEvent(id, name, time, "tests", propertiesJson, EventFingerprint.Compute(name, properties.RootElement, time), EventIdGiven: true);
    }
}
