using Flexprice.Grains;
using Flexprice.Tests.Infrastructure;
using Npgsql;
using static Flexprice.Tests.Grains.TestTenant;

namespace Flexprice.Tests.Grains;

/// <summary>The log is the truth: checkpoints, replay after deactivation and crashes, backfill, and a second writer.</summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class CustomerGrainDurabilityTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Usage_after_deactivation_equals_usage_before()
    {
        var (tenant, customer, features) = await SetUpAsync();
        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"tokens": 1.5, "region": "eu"}""", T0));
        await tenant.IngestAsync(customer, Event("e2", "api_call", """{"tokens": 2.25, "region": "us"}""", T0));
        var before = await tenant.UsageAsync(customer);

        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));

        // Fewer events than the checkpoint period: deactivation wrote the checkpoint.
        Assert.Equal((1, 2L), await tenant.CheckpointAsync(customer));
        var after = await tenant.UsageAsync(customer);
        Assert.Equal(Values(before), Values(after));
        Assert.Equal(UsageValue.Of(3.75m), after[features.Sum.Id].Value);
        Assert.Equal(UsageValue.Of(2.25m), after[features.Latest.Id].Value);
        Assert.Equal([EventOutcome.Duplicate], (await tenant.IngestAsync(customer, Event("e1", "api_call", """{"tokens": 1.5, "region": "eu"}""", T0))).Outcomes.ToArray());
    }

    [Fact]
    public async Task Checkpoint_is_written_every_n_events()
    {
        var (tenant, customer, _) = await SetUpAsync();
        for (var i = 1; i < ClusterFixture.CheckpointEveryEvents; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        Assert.Null(await tenant.CheckpointAsync(customer));

        await tenant.IngestAsync(customer, Event("e5", "api_call", """{"tokens": 5, "region": "eu"}"""));

        Assert.Equal((1, 5L), await tenant.CheckpointAsync(customer));

        for (var i = 6; i < 6 + ClusterFixture.CheckpointEveryEvents - 1; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        Assert.Equal((1, 5L), await tenant.CheckpointAsync(customer));

        await tenant.IngestAsync(customer, Event("e10", "api_call", """{"tokens": 10, "region": "eu"}"""));

        Assert.Equal((2, 10L), await tenant.CheckpointAsync(customer));
    }

    [Fact]
    public async Task After_a_crash_the_checkpoint_and_only_the_log_tail_rebuild_the_usage()
    {
        var (tenant, customer, features) = await SetUpAsync();
        const int events = ClusterFixture.CheckpointEveryEvents + 3;
        for (var i = 1; i <= events; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "r{{i % 3}}"}""", T0.AddSeconds(i)));
        }

        var before = await tenant.UsageAsync(customer);
        Assert.Equal((1, (long)ClusterFixture.CheckpointEveryEvents), await tenant.CheckpointAsync(customer));
        // The checkpointed prefix disappears from the log: only the checkpoint can still hold it.
        await TestDatabase.ScalarAsync<long>(
            "DELETE FROM events WHERE tenant_id = @t AND external_customer_id = @c AND customer_seq <= @seq",
            ("t", tenant.Id), ("c", customer), ("seq", (long)ClusterFixture.CheckpointEveryEvents));

        await fixture.CrashAndRestartAsync();

        Assert.Equal((1, (long)ClusterFixture.CheckpointEveryEvents), await tenant.CheckpointAsync(customer));
        var after = await tenant.UsageAsync(customer);
        Assert.Equal(Values(before), Values(after));
        Assert.Equal(UsageValue.Of(events * (events + 1) / 2), after[features.Sum.Id].Value);
        Assert.Equal(UsageValue.Of(events), after[features.Latest.Id].Value);
        Assert.Equal(UsageValue.Of(3m), after[features.Unique.Id].Value);
        Assert.Equal(events, after[features.Count.Id].EventCount);
    }

    [Fact]
    public async Task After_a_crash_without_any_checkpoint_the_whole_log_rebuilds_the_usage()
    {
        var (tenant, customer, features) = await SetUpAsync();
        await tenant.IngestAsync(
            customer,
            Event("e1", "api_call", """{"tokens": 0.1, "region": "eu"}""", T0),
            Event("e2", "api_call", """{"tokens": 0.2, "region": "1"}""", T0),
            Event("e3", "api_call", """{"tokens": -4, "region": 1}""", T0.AddSeconds(-1)));
        var before = await tenant.UsageAsync(customer);

        await fixture.CrashAndRestartAsync();

        Assert.Null(await tenant.CheckpointAsync(customer));
        var after = await tenant.UsageAsync(customer);
        Assert.Equal(Values(before), Values(after));
        Assert.Equal(UsageValue.Of(-3.7m), after[features.Sum.Id].Value);
        Assert.Equal(UsageValue.Of(0.2m), after[features.Max.Id].Value);
        Assert.Equal(UsageValue.Of(0.2m), after[features.Latest.Id].Value);
        Assert.Equal(UsageValue.Of(3m), after[features.Unique.Id].Value);
        Assert.Equal([EventOutcome.Duplicate], (await tenant.IngestAsync(customer, Event("e2", "api_call", """{"tokens": 0.2, "region": "1"}""", T0))).Outcomes.ToArray());
    }

    [Fact]
    public async Task Feature_created_after_events_is_backfilled_from_the_whole_log()
    {
        var (tenant, customer, _) = await SetUpAsync();
        for (var i = 1; i <= 7; i++)
        {
            // Only odd events carry the field the later feature reads.
            var properties = i % 2 == 1 ? $$"""{"tokens": {{i}}, "region": "eu", "gb": {{i * 10}}}""" : $$"""{"tokens": {{i}}, "region": "eu"}""";
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", properties));
        }

        await tenant.IngestAsync(customer, Event("s1", "storage", """{"gb": 1}"""));
        var gb = await tenant.FeatureAsync("api_call", AggregationType.Sum, "gb");
        var storageCalls = await tenant.FeatureAsync("storage", AggregationType.Count);

        var usage = await tenant.CaughtUpUsageAsync(customer);

        Assert.Equal(UsageValue.Of(160m), usage[gb.Id].Value);
        Assert.Equal(4, usage[gb.Id].EventCount);
        Assert.Equal(UsageValue.Of(1m), usage[storageCalls.Id].Value);

        await tenant.IngestAsync(customer, Event("e8", "api_call", """{"tokens": 8, "region": "eu", "gb": 5}"""));
        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));

        var after = await tenant.CaughtUpUsageAsync(customer);
        Assert.Equal(UsageValue.Of(165m), after[gb.Id].Value);
        Assert.Equal(UsageValue.Of(1m), after[storageCalls.Id].Value);
    }

    [Fact]
    public async Task Feature_created_while_the_customer_is_inactive_is_backfilled_on_activation()
    {
        var (tenant, customer, features) = await SetUpAsync();
        for (var i = 1; i <= 7; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));
        Assert.Equal((2, 7L), await tenant.CheckpointAsync(customer));
        var max = await tenant.FeatureAsync("api_call", AggregationType.Max, "tokens");

        var usage = await tenant.CaughtUpUsageAsync(customer);

        Assert.Equal(UsageValue.Of(7m), usage[max.Id].Value);
        Assert.Equal(7, usage[max.Id].EventCount);
        Assert.Equal(UsageValue.Of(28m), usage[features.Sum.Id].Value);
        Assert.Equal(7, usage[features.Sum.Id].EventCount);
    }

    [Fact]
    public async Task Log_positions_stay_dense_when_batches_mix_duplicates_and_new_events()
    {
        var (tenant, customer, _) = await SetUpAsync();
        // More ids than the grain remembers (4), so the log, not memory, finds the duplicates.
        for (var i = 0; i < 6; i++)
        {
            await tenant.IngestAsync(customer, Event($"old{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        var result = await tenant.IngestAsync(
            customer,
            Event("old0", "api_call", """{"tokens": 0, "region": "eu"}"""),
            Event("new0", "api_call", """{"tokens": 10, "region": "eu"}"""),
            Event("old1", "api_call", """{"tokens": 1, "region": "eu"}"""),
            Event("new1", "api_call", """{"tokens": 11, "region": "eu"}"""));

        Assert.Equal([EventOutcome.Duplicate, EventOutcome.Accepted, EventOutcome.Duplicate, EventOutcome.Accepted], result.Outcomes.ToArray());
        Assert.Equal(7, await tenant.SeqOfAsync(customer, "new0"));
        Assert.Equal(8, await tenant.SeqOfAsync(customer, "new1"));
        // Every position up to the last is filled: a writer that is behind can only collide, never slip in.
        Assert.Equal(8, await TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND external_customer_id = @c AND customer_seq <= 8", ("t", tenant.Id), ("c", customer)));
    }

    [Fact]
    public async Task Usage_is_answered_while_an_ingest_waits_for_its_commit_and_includes_it_once_acknowledged()
    {
        var (tenant, customer, features) = await SetUpAsync();
        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"tokens": 1, "region": "eu"}"""));
        // Another activation is writing position 2 and has not committed: the grain's next append
        // runs into it and waits, holding the grain's turn.
        await using var other = new NpgsqlConnection(await TestDatabase.ReadyAsync());
        await other.OpenAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        var foreign = Event("foreign", "api_call", """{"tokens": 100, "region": "us"}""");
        await LogRows.InsertAsync(other, otherTransaction, tenant.Id, customer, 2, foreign);

        var ingest = tenant.IngestAsync(customer, Event("e2", "api_call", """{"tokens": 2, "region": "eu"}"""));
        for (var i = 0; await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE @pid = ANY(pg_blocking_pids(pid))", ("pid", other.ProcessID)) == 0; i++)
        {
            Assert.True(i < 500, "The ingest never reached the row the other transaction holds");
            await Task.Delay(20);
        }

        var during = await tenant.UsageAsync(customer);
        Assert.False(ingest.IsCompleted);
        Assert.Equal(UsageValue.Of(1m), during[features.Sum.Id].Value);

        await otherTransaction.CommitAsync();
        Assert.Equal([EventOutcome.Accepted], (await ingest).Outcomes.ToArray());
        var after = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(103m), after[features.Sum.Id].Value);
        Assert.Equal(3, after[features.Count.Id].EventCount);
    }

    [Fact]
    public async Task Second_writer_of_the_next_log_position_makes_the_grain_catch_up_and_retry()
    {
        var (tenant, customer, features) = await SetUpAsync();
        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"tokens": 1, "region": "eu"}"""));
        await tenant.IngestAsync(customer, Event("e2", "api_call", """{"tokens": 2, "region": "eu"}"""));
        var foreign = Event("foreign", "api_call", """{"tokens": 100, "region": "us"}""", T0.AddSeconds(5));
        await tenant.InsertIntoLogAsync(customer, 3, foreign);

        var result = await tenant.IngestAsync(customer, Event("e3", "api_call", """{"tokens": 3, "region": "eu"}"""));

        Assert.Equal([EventOutcome.Accepted], result.Outcomes.ToArray());
        Assert.Equal(4, await tenant.SeqOfAsync(customer, "e3"));
        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(4m), usage[features.Count.Id].Value);
        Assert.Equal(UsageValue.Of(106m), usage[features.Sum.Id].Value);
        Assert.Equal(UsageValue.Of(100m), usage[features.Latest.Id].Value);
        Assert.Equal(UsageValue.Of(2m), usage[features.Unique.Id].Value);
        Assert.Equal([EventOutcome.Duplicate], (await tenant.IngestAsync(customer, foreign)).Outcomes.ToArray());

        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));
        Assert.Equal(Values(usage), Values(await tenant.UsageAsync(customer)));
    }

    [Fact]
    public async Task Event_another_writer_logged_at_the_next_position_is_counted_when_retried_here()
    {
        var (tenant, customer, features) = await SetUpAsync();
        await tenant.IngestAsync(customer, Event("e1", "api_call", """{"tokens": 1, "region": "eu"}"""));
        var foreign = Event("foreign", "api_call", """{"tokens": 100, "region": "us"}""");
        await tenant.InsertIntoLogAsync(customer, 2, foreign);

        // The client's retry of the event the other activation stored reaches this activation.
        var retry = await tenant.IngestAsync(customer, foreign);
        var next = await tenant.IngestAsync(customer, Event("e3", "api_call", """{"tokens": 3, "region": "eu"}"""));

        Assert.Equal([EventOutcome.Duplicate], retry.Outcomes.ToArray());
        Assert.Equal([EventOutcome.Accepted], next.Outcomes.ToArray());
        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(3m), usage[features.Count.Id].Value);
        Assert.Equal(UsageValue.Of(104m), usage[features.Sum.Id].Value);

        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));
        Assert.Equal(Values(usage), Values(await tenant.UsageAsync(customer)));
    }

    [Fact]
    public async Task Checkpoint_conflict_takes_the_other_checkpoint_and_replays_the_log_after_it()
    {
        var (tenant, customer, features) = await SetUpAsync();
        for (var i = 1; i <= ClusterFixture.CheckpointEveryEvents; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        Assert.Equal((1, 5L), await tenant.CheckpointAsync(customer));

        // A second activation (membership settling) logged an event and checkpointed position 5.
        await tenant.InsertIntoLogAsync(customer, 6, Event("foreign", "api_call", """{"tokens": 100, "region": "us"}""", T0.AddSeconds(5)));
        Assert.Equal(2, await TestDatabase.ScalarAsync<int>(
            "UPDATE orleansstorage SET version = version + 1 WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k RETURNING version",
            ("s", fixture.ServiceId), ("k", tenant.GrainKey(customer))));

        // Four more here: with the replayed foreign event, the fifth since the checkpoint, whose write conflicts.
        for (var i = 7; i <= 10; i++)
        {
            await tenant.IngestAsync(customer, Event($"e{i}", "api_call", $$"""{"tokens": {{i}}, "region": "eu"}"""));
        }

        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(10m), usage[features.Count.Id].Value);
        Assert.Equal(UsageValue.Of(15m + 100m + 34m), usage[features.Sum.Id].Value);
        Assert.Equal(UsageValue.Of(2m), usage[features.Unique.Id].Value);
        Assert.Equal((2, 5L), await tenant.CheckpointAsync(customer));

        // The grain took the other checkpoint's version (and counts the replayed events as not yet
        // checkpointed): its next checkpoint, at the next event, succeeds.
        await tenant.IngestAsync(customer, Event("e11", "api_call", """{"tokens": 11, "region": "eu"}"""));

        Assert.Equal((3, 11L), await tenant.CheckpointAsync(customer));
        usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(11m), usage[features.Count.Id].Value);
        Assert.Equal(UsageValue.Of(15m + 100m + 34m + 11m), usage[features.Sum.Id].Value);

        await fixture.CrashAndRestartAsync();
        Assert.Equal(Values(usage), Values(await tenant.UsageAsync(customer)));
    }

    private static Dictionary<string, (UsageValue Value, long EventCount)> Values(Dictionary<string, FeatureUsage> usage) =>
        usage.ToDictionary(u => u.Key, u => (u.Value.Value, u.Value.EventCount), StringComparer.Ordinal);

    private sealed record Standard(FeatureDefinition Count, FeatureDefinition Sum, FeatureDefinition Max, FeatureDefinition Latest, FeatureDefinition Unique);

    private async Task<(TestTenant Tenant, string Customer, Standard Features)> SetUpAsync()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var features = new Standard(
            await tenant.FeatureAsync("api_call", AggregationType.Count),
            await tenant.FeatureAsync("api_call", AggregationType.Sum, "tokens"),
            await tenant.FeatureAsync("api_call", AggregationType.Max, "tokens"),
            await tenant.FeatureAsync("api_call", AggregationType.Latest, "tokens"),
            await tenant.FeatureAsync("api_call", AggregationType.CountUnique, "region"));
        return (tenant, await tenant.CustomerAsync(), features);
    }
}
