using System.Text;
using System.Text.Json.Nodes;
using Flexprice.Grains;
using Flexprice.Tests.Infrastructure;
using static Flexprice.Tests.Grains.TestTenant;

namespace Flexprice.Tests.Grains;

/// <summary>
/// COUNT_UNIQUE without the set in the grain: distinct values live in <c>distinct_values</c>, the grain and its
/// checkpoints hold their count, which stays exact across duplicates, deactivation, crashes and old checkpoints.
/// </summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class CountUniqueStoreTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_values_are_in_the_database_and_the_checkpoint_holds_only_their_count()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var unique = await tenant.FeatureAsync("visit", AggregationType.CountUnique, "user");
        var customer = await tenant.CustomerAsync();
        for (var i = 0; i < 24; i++)
        {
            // 24 events, 10 users: user-0 … user-9, each more than once; "7" (a number) and "user-7" differ.
            var user = i % 12 == 11 ? "7" : $"\"user-{i % 10}\"";
            await tenant.IngestAsync(customer, Event($"v{i}", "visit", $$"""{"user": {{user}}}""", T0.AddSeconds(i)));
        }

        Assert.Equal(UsageValue.Of(11m), (await tenant.UsageAsync(customer))[unique.Id].Value);
        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));

        var checkpoint = await CheckpointJsonAsync(tenant, customer);
        Assert.DoesNotContain("user-", checkpoint, StringComparison.Ordinal);
        var aggregate = JsonNode.Parse(checkpoint)!["Features"]![unique.Id]!;
        Assert.Equal(11, aggregate["UniqueCount"]!.GetValue<long>());
        Assert.Null(aggregate["Unique"]);
        Assert.Equal(11L, await StoredValuesAsync(tenant, customer, unique.Id));

        // After reactivation: a known value adds nothing, a new one adds one.
        await tenant.IngestAsync(customer, Event("v-known", "visit", """{"user": "user-3"}""", T0.AddMinutes(1)));
        await tenant.IngestAsync(customer, Event("v-new", "visit", """{"user": "user-99"}""", T0.AddMinutes(1)));
        Assert.Equal(UsageValue.Of(12m), (await tenant.UsageAsync(customer))[unique.Id].Value);
    }

    [Fact]
    public async Task After_a_crash_the_count_is_the_stores_whatever_the_checkpoint_says()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var unique = await tenant.FeatureAsync("visit", AggregationType.CountUnique, "user");
        var customer = await tenant.CustomerAsync();
        const int events = ClusterFixture.CheckpointEveryEvents * 2 + 3;
        for (var i = 0; i < events; i++)
        {
            await tenant.IngestAsync(customer, Event($"v{i}", "visit", $$"""{"user": "u{{i}}"}""", T0.AddSeconds(i)));
        }

        // The checkpoint covers 10 events; the 3 after it are in the log and their values in the store.
        await fixture.CrashAndRestartAsync();

        Assert.Equal(UsageValue.Of(events), (await tenant.UsageAsync(customer))[unique.Id].Value);
        Assert.Equal((long)events, await StoredValuesAsync(tenant, customer, unique.Id));
    }

    [Fact]
    public async Task A_checkpoint_that_still_holds_its_values_moves_them_to_the_database()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var unique = await tenant.FeatureAsync("visit", AggregationType.CountUnique, "user");
        var customer = await tenant.CustomerAsync();
        await tenant.IngestAsync(customer, Event("v1", "visit", """{"user": "a"}""", T0));
        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));
        // The checkpoint as the set-holding grain wrote it: the values inside, no count; the store knows nothing.
        var checkpoint = JsonNode.Parse(await CheckpointJsonAsync(tenant, customer))!;
        checkpoint["Features"]![unique.Id]!["Unique"] = new JsonArray("\"a\"", "\"b\"", "2");
        checkpoint["Features"]![unique.Id]!.AsObject().Remove("UniqueCount");
        await TestDatabase.ScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = @p WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k RETURNING 1",
            ("p", Encoding.UTF8.GetBytes(checkpoint.ToJsonString())), ("s", fixture.ServiceId), ("k", tenant.GrainKey(customer)));
        await TestDatabase.ScalarAsync<long>("DELETE FROM distinct_values WHERE tenant_id = @t", ("t", tenant.Id));

        await fixture.CrashAndRestartAsync();

        Assert.Equal(UsageValue.Of(3m), (await tenant.UsageAsync(customer))[unique.Id].Value);
        Assert.Equal(3L, await StoredValuesAsync(tenant, customer, unique.Id));
        await tenant.IngestAsync(customer, Event("v2", "visit", """{"user": "b"}""", T0.AddSeconds(1)));
        Assert.Equal(UsageValue.Of(3m), (await tenant.UsageAsync(customer))[unique.Id].Value);
    }

    private async Task<string> CheckpointJsonAsync(TestTenant tenant, string customer)
    {
        var payload = await TestDatabase.ScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k",
            ("s", fixture.ServiceId), ("k", tenant.GrainKey(customer)));
        return Encoding.UTF8.GetString(payload!);
    }

    private static async Task<long> StoredValuesAsync(TestTenant tenant, string customer, string featureId) =>
        await TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM distinct_values WHERE tenant_id = @t AND external_customer_id = @c AND feature_id = @f",
            ("t", tenant.Id), ("c", customer), ("f", featureId));
}
