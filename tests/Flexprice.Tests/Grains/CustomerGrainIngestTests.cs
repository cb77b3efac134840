using Flexprice.Grains;
using static Flexprice.Tests.Grains.TestTenant;

namespace Flexprice.Tests.Grains;

[Collection(CustomerGrainCollection.Name)]
public sealed class CustomerGrainIngestTests(ClusterFixture fixture)
{
    private static readonly EventOutcome[] AllAccepted3 = [EventOutcome.Accepted, EventOutcome.Accepted, EventOutcome.Accepted];

    [Fact]
    public async Task Ingest_accepts_and_counts_every_aggregation()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var count = await tenant.FeatureAsync("api_call", AggregationType.Count);
        var sum = await tenant.FeatureAsync("api_call", AggregationType.Sum, "tokens");
        var max = await tenant.FeatureAsync("api_call", AggregationType.Max, "tokens");
        var latest = await tenant.FeatureAsync("api_call", AggregationType.Latest, "model");
        var unique = await tenant.FeatureAsync("api_call", AggregationType.CountUnique, "region");
        var other = await tenant.FeatureAsync("storage", AggregationType.Sum, "gb");
        var customer = await tenant.CustomerAsync();

        var result = await tenant.IngestAsync(
            customer,
            Event("e1", "api_call", """{"tokens": 10, "model": "a", "region": "eu"}""", T0),
            Event("e2", "api_call", """{"tokens": "2.5", "model": "b", "region": "us"}""", T0.AddSeconds(1)),
            Event("e3", "api_call", """{"tokens": -1.25, "model": 7, "region": "eu"}""", T0.AddSeconds(-1)));

        Assert.True(result.CustomerFound);
        Assert.Equal(AllAccepted3, result.Outcomes.ToArray());
        Assert.Equal(3, await tenant.StoredEventsAsync(customer));
        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(6, usage.Count);
        Assert.Equal(UsageValue.Of(3m), usage[count.Id].Value);
        Assert.Equal(UsageValue.Of(11.25m), usage[sum.Id].Value);
        Assert.Equal(UsageValue.Of(10m), usage[max.Id].Value);
        Assert.Equal(UsageValue.OfText("b"), usage[latest.Id].Value);
        Assert.Equal(UsageValue.Of(2m), usage[unique.Id].Value);
        Assert.All(new[] { count, sum, max, latest, unique }, f => Assert.Equal(3, usage[f.Id].EventCount));
        Assert.Equal(UsageValue.Of(0m), usage[other.Id].Value);
        Assert.Equal(0, usage[other.Id].EventCount);
    }

    [Fact]
    public async Task Duplicate_in_the_same_batch_is_counted_once()
    {
        var (tenant, customer, count) = await SetUpAsync();

        var result = await tenant.IngestAsync(customer, Event("e1", "api_call", "{}"), Event("e1", "api_call", "{}"));

        Assert.Equal([EventOutcome.Accepted, EventOutcome.Duplicate], result.Outcomes.ToArray());
        Assert.Equal(1, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(1m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Duplicate_across_batches_is_counted_once()
    {
        var (tenant, customer, count) = await SetUpAsync();

        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"n": 1}"""));
        var retry = await tenant.IngestAsync(customer, Event("e1", "api_call", """{ "n" : 1 }"""), Event("e2", "api_call", "{}"));

        Assert.Equal([EventOutcome.Duplicate, EventOutcome.Accepted], retry.Outcomes.ToArray());
        Assert.Equal(2, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(2m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Duplicate_no_longer_remembered_is_decided_by_the_log_and_counted_once()
    {
        var (tenant, customer, count) = await SetUpAsync();
        const int events = ClusterFixture.RecentEventIds * 3;
        for (var i = 0; i < events; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"n": {{i}}}"""));
        }

        var retry = await tenant.IngestAsync(customer, Event("e0", "api_call", """{"n": 0}"""), Event("e1", "api_call", """{"n": 1}"""), Event("new", "api_call", "{}"));
        var again = await tenant.IngestAsync(customer, Event("e2", "api_call", """{"n": 2}"""));

        Assert.Equal([EventOutcome.Duplicate, EventOutcome.Duplicate, EventOutcome.Accepted], retry.Outcomes.ToArray());
        Assert.Equal([EventOutcome.Duplicate], again.Outcomes.ToArray());
        Assert.Equal(events + 1, await tenant.StoredEventsAsync(customer));
        var usage = (await tenant.UsageAsync(customer))[count.Id];
        Assert.Equal(UsageValue.Of(events + 1), usage.Value);
        Assert.Equal(events + 1, usage.EventCount);
    }

    [Fact]
    public async Task Conflict_with_a_remembered_event_stores_nothing_of_the_batch()
    {
        var (tenant, customer, count) = await SetUpAsync();
        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"n": 1}"""));
        IngestEvent[] batch = [Event("new", "api_call", "{}"), Event("e1", "api_call", """{"n": 2}""")];

        var check = await tenant.CheckAsync(customer, batch);
        var result = await tenant.IngestAsync(customer, batch);

        Assert.Equal([EventOutcome.Accepted, EventOutcome.Conflict], check.Outcomes.ToArray());
        Assert.Equal(check.Outcomes.ToArray(), result.Outcomes.ToArray());
        Assert.True(result.HasConflicts);
        Assert.Equal(1, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(1m), (await tenant.UsageAsync(customer))[count.Id].Value);

        var alone = await tenant.IngestAsync(customer, Event("new", "api_call", "{}"));
        Assert.Equal([EventOutcome.Accepted], alone.Outcomes.ToArray());
        Assert.Equal(UsageValue.Of(2m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Conflict_found_only_in_the_log_stores_nothing_of_the_batch()
    {
        var (tenant, customer, count) = await SetUpAsync();
        const int events = ClusterFixture.RecentEventIds * 2;
        for (var i = 0; i < events; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"n": {{i}}}"""));
        }

        IngestEvent[] batch = [Event("new", "api_call", "{}"), Event("e1", "api_call", """{"n": 1}"""), Event("e0", "api_call", """{"n": "changed"}""")];
        var check = await tenant.CheckAsync(customer, batch);
        var result = await tenant.IngestAsync(customer, batch);

        Assert.Equal([EventOutcome.Accepted, EventOutcome.Duplicate, EventOutcome.Conflict], check.Outcomes.ToArray());
        Assert.Equal(check.Outcomes.ToArray(), result.Outcomes.ToArray());
        Assert.Equal(events, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(events), (await tenant.UsageAsync(customer))[count.Id].Value);

        var alone = await tenant.IngestAsync(customer, Event("new", "api_call", "{}"));
        Assert.Equal([EventOutcome.Accepted], alone.Outcomes.ToArray());
        Assert.Equal(events + 1, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(events + 1), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Conflicting_repeat_within_one_batch_stores_nothing()
    {
        var (tenant, customer, count) = await SetUpAsync();
        IngestEvent[] batch = [Event("other", "api_call", "{}"), Event("e1", "api_call", """{"n": 1}"""), Event("e1", "api_call", """{"n": 1}""", T0.AddSeconds(1))];

        var check = await tenant.CheckAsync(customer, batch);
        var result = await tenant.IngestAsync(customer, batch);

        Assert.Equal([EventOutcome.Accepted, EventOutcome.Accepted, EventOutcome.Conflict], check.Outcomes.ToArray());
        Assert.Equal(check.Outcomes.ToArray(), result.Outcomes.ToArray());
        Assert.Equal(0, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(0m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Unknown_customer_is_not_found_and_nothing_is_stored_until_it_is_created()
    {
        var (tenant, _, count) = await SetUpAsync();
        var customer = "later-" + Guid.NewGuid().ToString("N");

        var check = await tenant.CheckAsync(customer, Event("e1", "api_call", "{}"));
        var ingest = await tenant.IngestAsync(customer, Event("e1", "api_call", "{}"));
        var usage = await tenant.Grain(customer).GetUsage(CatalogSnapshot.LatestVersion);

        Assert.False(check.CustomerFound);
        Assert.False(ingest.CustomerFound);
        Assert.Null(usage);
        Assert.Equal(0, await tenant.StoredEventsAsync(customer));

        await tenant.CustomerAsync(customer);
        var afterCreate = await tenant.IngestAsync(customer, Event("e1", "api_call", "{}"));

        Assert.True(afterCreate.CustomerFound);
        Assert.Equal([EventOutcome.Accepted], afterCreate.Outcomes.ToArray());
        Assert.Equal(1, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(1m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Same_external_id_in_another_tenant_is_another_customer()
    {
        var (first, customer, firstCount) = await SetUpAsync();
        var second = await TestTenant.CreateAsync(fixture);
        var secondCount = await second.FeatureAsync("api_call", AggregationType.Count);
        await second.CustomerAsync(customer);

        await first.IngestAsync(customer, Event("e1", "api_call", "{}"));
        var result = await second.IngestAsync(customer, Event("e1", "api_call", "{}"));

        Assert.Equal([EventOutcome.Accepted], result.Outcomes.ToArray());
        Assert.Equal(UsageValue.Of(1m), (await first.UsageAsync(customer))[firstCount.Id].Value);
        Assert.Equal(UsageValue.Of(1m), (await second.UsageAsync(customer))[secondCount.Id].Value);
    }

    [Fact]
    public async Task Check_answers_like_ingest_and_stores_nothing()
    {
        var (tenant, customer, count) = await SetUpAsync();

        var fresh = await tenant.CheckAsync(customer, Event("e1", "api_call", "{}"), Event("e2", "api_call", "{}"), Event("e1", "api_call", "{}"));

        Assert.True(fresh.CustomerFound);
        Assert.Equal([EventOutcome.Accepted, EventOutcome.Accepted, EventOutcome.Duplicate], fresh.Outcomes.ToArray());
        Assert.Equal(0, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(0m), (await tenant.UsageAsync(customer))[count.Id].Value);

        // Check did not make the grain believe e1 is stored.
        Assert.Equal([EventOutcome.Accepted], (await tenant.IngestAsync(customer, Event("e1", "api_call", "{}"))).Outcomes.ToArray());

        var after = await tenant.CheckAsync(customer, Event("e1", "api_call", "{}"), Event("e1", "api_call", """{"n": 1}"""), Event("e3", "api_call", "{}"));

        Assert.Equal([EventOutcome.Duplicate, EventOutcome.Conflict, EventOutcome.Accepted], after.Outcomes.ToArray());
        Assert.Equal(1, await tenant.StoredEventsAsync(customer));
        Assert.Equal(UsageValue.Of(1m), (await tenant.UsageAsync(customer))[count.Id].Value);
    }

    [Fact]
    public async Task Check_asks_the_log_about_events_no_longer_remembered()
    {
        var (tenant, customer, _) = await SetUpAsync();
        for (var i = 0; i < ClusterFixture.RecentEventIds * 2; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"n": {{i}}}"""));
        }

        var result = await tenant.CheckAsync(customer, Event("e0", "api_call", """{"n": 0}"""), Event("e1", "api_call", """{"n": 0}"""), Event("e99", "api_call", "{}"));

        Assert.Equal([EventOutcome.Duplicate, EventOutcome.Conflict, EventOutcome.Accepted], result.Outcomes.ToArray());
        Assert.Equal(ClusterFixture.RecentEventIds * 2, await tenant.StoredEventsAsync(customer));
    }

    [Fact]
    public async Task Events_feed_only_features_of_their_name_and_several_features_may_share_one()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var calls = await tenant.FeatureAsync("api_call", AggregationType.Count);
        var tokens = await tenant.FeatureAsync("api_call", AggregationType.Sum, "tokens");
        var storage = await tenant.FeatureAsync("storage", AggregationType.Max, "gb");
        var customer = await tenant.CustomerAsync();

        await tenant.IngestAsync(
            customer,
            Event("a", "api_call", """{"tokens": 5, "gb": 100}"""),
            Event("b", "storage", """{"gb": 3, "tokens": 1000}"""),
            Event("c", "unmetered", """{"gb": 7, "tokens": 1000}"""));

        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(1m), usage[calls.Id].Value);
        Assert.Equal(UsageValue.Of(5m), usage[tokens.Id].Value);
        Assert.Equal(UsageValue.Of(3m), usage[storage.Id].Value);
        Assert.Equal(3, await tenant.StoredEventsAsync(customer));
    }

    private async Task<(TestTenant Tenant, string Customer, FeatureDefinition Count)> SetUpAsync()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var count = await tenant.FeatureAsync("api_call", AggregationType.Count);
        return (tenant, await tenant.CustomerAsync(), count);
    }
}
