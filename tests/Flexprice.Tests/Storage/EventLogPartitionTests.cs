using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Ingestion;
using Flexprice.Grains.Storage;
using Flexprice.Silo.Schema;
using Flexprice.Tests.Infrastructure;
using Npgsql;

namespace Flexprice.Tests.Storage;

/// <summary>
/// The event log partitioned by event time: events of any past time are stored (a day's partition made on demand, the
/// days before the log's first in <c>events_before</c>), exactly once across partitions, at dense positions; plans that
/// stay right as the tables grow; a log made before partitioning converted at start.
/// </summary>
public sealed class EventLogPartitionTests : IAsyncLifetime
{
    private readonly string _tenant = "tenant_" + Guid.NewGuid().ToString("N");
    private FlexpriceDatabase _database = null!;
    private EventLogAppender _log = null!;
    private DateTime _dailyFrom;

    public async Task InitializeAsync()
    {
        _database = FlexpriceDatabase.Create(await TestDatabase.ReadyAsync());
        _log = new EventLogAppender(_database);
        (_dailyFrom, _) = await new EventLogPartitions(_database).SettingsAsync(default);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Events_of_any_past_time_go_to_the_partition_of_their_day_made_on_demand()
    {
        // Days of the log with no partition yet (the bootstrap makes today's and the next three), and times long before.
        var times = new[]
        {
            _dailyFrom.AddDays(3).AddHours(5), _dailyFrom.AddDays(3).AddHours(23), _dailyFrom.AddDays(11).AddMinutes(1),
            _dailyFrom.AddSeconds(-1), new DateTime(1990, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        var events = times.Select((t, i) => Event($"e{i}", $$"""{"n": {{i}}}""", t)).ToList();

        var result = await _log.AppendAsync(_tenant, "c", "id", events, 0, DateTime.UtcNow, default);

        Assert.Equal(times.Length, result.Inserted.Count);
        var partitionOf = await PartitionsAsync("c");
        Assert.Equal(Daily(_dailyFrom.AddDays(3)), partitionOf["e0"]);
        Assert.Equal(Daily(_dailyFrom.AddDays(3)), partitionOf["e1"]);
        Assert.Equal(Daily(_dailyFrom.AddDays(11)), partitionOf["e2"]);
        Assert.Equal(EventLogPartitions.BeforeName, partitionOf["e3"]);
        Assert.Equal(EventLogPartitions.BeforeName, partitionOf["e4"]);
        Assert.Equal(EventLogPartitions.BeforeName, partitionOf["e5"]);
        Assert.Equal(Enumerable.Range(1, times.Length).Select(i => (long)i), events.Select(e => result.Inserted[e.EventId]));
    }

    [Fact]
    public async Task An_id_stored_in_another_partition_is_a_duplicate_when_its_payload_is_the_same_and_a_conflict_otherwise()
    {
        var monday = _dailyFrom.AddDays(5).AddHours(9);
        await _log.AppendAsync(_tenant, "c", "id", [ServerTimed("a", """{"n": 1}""", monday), Event("b", """{"n": 1}""", monday)], 0, DateTime.UtcNow, default);

        // A retry a week later: "a" had no client timestamp (the server's time is not part of its payload), so it is the
        // same event in another day's partition; "b" comes with another client timestamp, so another payload.
        var later = monday.AddDays(7);
        var retry = await _log.AppendAsync(_tenant, "c", "id", [ServerTimed("a", """{"n": 1}""", later)], 2, DateTime.UtcNow, default);
        var other = await _log.AppendAsync(_tenant, "c", "id", [Event("b", """{"n": 1}""", later), Event("c", "{}", later)], 2, DateTime.UtcNow, default);

        Assert.Empty(retry.Inserted);
        Assert.Equal(1, retry.LastExistingSeq);
        Assert.Equal(EventOutcome.Duplicate, IdempotencyRule.Decide(retry.Existing["a"], ServerTimed("a", """{"n": 1}""", later).Fingerprint));
        Assert.Empty(other.Inserted);
        Assert.Equal(EventOutcome.Conflict, IdempotencyRule.Decide(other.Existing["b"], Event("b", """{"n": 1}""", later).Fingerprint));
        Assert.Equal(2, await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", _tenant)));
    }

    [Fact]
    public async Task Appenders_that_need_the_same_new_partition_at_once_all_store_their_events()
    {
        // A day no test uses, made by twenty appenders (each its own partition cache, as twenty silos) at once.
        var day = _dailyFrom.AddDays(17 + Random.Shared.Next(0, 5)).AddHours(12);
        var appends = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            new EventLogAppender(_database).AppendAsync(_tenant, $"c{i}", "id", [Event($"e{i}", "{}", day)], 0, DateTime.UtcNow, default)));

        Assert.All(appends, a => Assert.Single(a.Inserted));
        Assert.Equal(20, await TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND tableoid = to_regclass(@p)", ("t", _tenant), ("p", Daily(day))));
    }

    [Fact]
    public async Task Named_ids_are_looked_up_by_key_whatever_the_tables_size_when_the_plan_was_made()
    {
        // A database of its own, its tables analyzed while empty, as a new deployment's are after the first ANALYZE:
        // statistics saying a scan is cheapest.
        var connectionString = await TestDatabase.CreateDatabaseAsync("plans");
        // The test decides when statistics change: no autovacuum of its tables in between (its scans would count too).
        await TestDatabase.ScalarOnAsync<object>(connectionString,
            "ALTER TABLE event_ids SET (autovacuum_enabled = false); ALTER TABLE event_log_heads SET (autovacuum_enabled = false); ANALYZE event_ids; ANALYZE event_log_heads");
        var now = DateTime.UtcNow;
        // Counted once every other session of the database has ended (a backend reports its table statistics when it
        // exits; a pooled one, up to seconds later), so each figure holds everything done before it was read.
        async Task<long> ScansAsync(string counter)
        {
            await using (var pooled = new NpgsqlConnection(connectionString))
            {
                NpgsqlConnection.ClearPool(pooled);
            }

            var alone = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
            for (var wait = 0; wait < 100 && await TestDatabase.ScalarOnAsync<long>(alone,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0; wait++)
            {
                await Task.Delay(50);
            }

            return await TestDatabase.ScalarOnAsync<long>(alone, $"SELECT {counter} FROM pg_stat_user_tables WHERE relname = 'event_ids'");
        }
        AppendRequest[] Flush(int flush, int perCustomer) => [.. Enumerable.Range(0, 4).Select(c => new AppendRequest(
            _tenant, $"c{c}", "id", [.. Enumerable.Range(0, perCustomer).Select(k => Event($"f{flush}-{k}", "{}", now))], flush * perCustomer))];

        // Enough flushes on one connection for PostgreSQL to keep a generic plan of the prepared append, made now.
        await WithAppenderAsync(connectionString, async log =>
        {
            for (var flush = 0; flush < 12; flush++)
            {
                await log.AppendBatchAsync(Flush(flush, 1), now, default);
            }
        });
        // The table grows large (and, in a second phase, is analyzed again: a thousand ids against 200 000 rows is
        // where a hash join over a scan of the table looks cheapest to PostgreSQL).
        await TestDatabase.ScalarOnAsync<object>(connectionString, """
            INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
            SELECT 'bulk', 'id-' || g, 'c', g, now(), '\x00' FROM generate_series(1, 200000) g
            """);
        var before = (Seq: await ScansAsync("seq_scan"), Index: await ScansAsync("idx_scan"));
        await WithAppenderAsync(connectionString, async log =>
        {
            for (var flush = 12; flush < 24; flush++)
            {
                await log.AppendBatchAsync(Flush(flush, 1), now, default);
            }
        });
        await TestDatabase.ScalarOnAsync<object>(connectionString, "ANALYZE event_ids");
        await WithAppenderAsync(connectionString, async log =>
        {
            for (var flush = 1; flush <= 3; flush++)
            {
                await log.AppendBatchAsync(Flush(100 + flush, 250), now, default);
            }
        });

        // Every lookup probed the primary key: no flush read the table through.
        Assert.Equal(before.Seq, await ScansAsync("seq_scan"));
        Assert.True(await ScansAsync("idx_scan") >= before.Index + (12 * 4) + (3 * 1000), "the flushes did not look their ids up by key");
    }

    [Fact]
    public async Task A_log_made_before_partitioning_is_converted_at_start_and_appends_continue_after_it()
    {
        // The schema as it was, with a few customers' logs in it.
        var connectionString = await TestDatabase.CreateDatabaseAsync("convert", withSchema: false);
        var old = DateTime.UtcNow.AddDays(-2);
        await TestDatabase.ScalarOnAsync<object>(connectionString, """
            CREATE TABLE events (
                tenant_id text NOT NULL, external_customer_id text NOT NULL, customer_seq bigint NOT NULL, event_id text NOT NULL,
                event_name text NOT NULL, customer_id text, source text, event_time timestamptz NOT NULL, properties json NOT NULL,
                fingerprint bytea NOT NULL, ingested_at timestamptz NOT NULL,
                CONSTRAINT events_pkey PRIMARY KEY (tenant_id, external_customer_id, customer_seq),
                CONSTRAINT events_idempotency_key UNIQUE (tenant_id, external_customer_id, event_id));
            CREATE INDEX events_customer_time ON events (tenant_id, external_customer_id, event_time);
            """);
        var stored = new List<IngestEvent>();
        for (var c = 0; c < 3; c++)
        {
            for (var seq = 1; seq <= 5; seq++)
            {
                var e = Event($"e{c}-{seq}", $$"""{"n": {{seq}}}""", seq % 2 == 0 ? old.AddDays(-400) : old.AddHours(seq));
                stored.Add(e);
                await TestDatabase.ScalarOnAsync<object>(connectionString, """
                    INSERT INTO events VALUES (@t, @c, @seq, @e, @name, NULL, NULL, @time, @properties::json, @fingerprint, now())
                    """, ("t", _tenant), ("c", $"c{c}"), ("seq", (long)seq), ("e", e.EventId), ("name", e.EventName), ("time", e.Timestamp),
                    ("properties", e.PropertiesJson), ("fingerprint", e.Fingerprint));
            }
        }

        await DatabaseSchema.ApplyAsync(connectionString);
        await DatabaseSchema.ApplyAsync(connectionString);

        Assert.Equal("p", await TestDatabase.ScalarOnAsync<string>(connectionString, "SELECT relkind::text FROM pg_class WHERE oid = 'events'::regclass"));
        Assert.Null(await TestDatabase.ScalarOnAsync<string>(connectionString, "SELECT to_regclass('events_unpartitioned')::text"));
        Assert.Equal(15, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM events"));
        Assert.Equal(15, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM event_ids"));
        await using var database = FlexpriceDatabase.Create(connectionString);
        var log = new EventLogAppender(database);
        // A writer that knows the converted log appends after it; one that is behind collides; an old id is a duplicate.
        var next = await log.AppendAsync(_tenant, "c0", "id", [Event("new", "{}", old), stored[2]], 5, DateTime.UtcNow, default);
        var behind = await log.AppendAsync(_tenant, "c1", "id", [Event("mine", "{}", old)], 4, DateTime.UtcNow, default);
        Assert.Equal(new Dictionary<string, long> { ["new"] = 6 }, next.Inserted);
        Assert.Equal([stored[2].EventId], next.Existing.Keys);
        Assert.True(behind.Collided);
        var replayed = new List<LoggedEvent>();
        await foreach (var row in new CustomerEventLog(database).ReadAsync(_tenant, "c0", 0, default))
        {
            replayed.Add(row);
        }

        Assert.Equal(["e0-1", "e0-2", "e0-3", "e0-4", "e0-5", "new"], replayed.Select(r => r.EventId));
        Assert.Equal(stored[0].Fingerprint, replayed[0].Fingerprint);
    }

    private static async Task WithAppenderAsync(string connectionString, Func<EventLogAppender, Task> use)
    {
        // One connection, so that its prepared statement (and PostgreSQL's plan for it) is reused.
        await using var database = FlexpriceDatabase.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 1 }.ConnectionString);
        await use(new EventLogAppender(database));
        // Its backend reports its table statistics now, not within the next seconds.
        await using var command = database.DataSource.CreateCommand("SELECT pg_stat_force_next_flush()");
        await command.ExecuteNonQueryAsync();
        command.CommandText = "SELECT 1";
        await command.ExecuteNonQueryAsync();
    }

    private async Task<Dictionary<string, string>> PartitionsAsync(string customer)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT event_id, tableoid::regclass::text FROM events WHERE tenant_id = @t AND external_customer_id = @c", connection);
        command.Parameters.AddWithValue("t", _tenant);
        command.Parameters.AddWithValue("c", customer);
        var partitions = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            partitions[reader.GetString(0)] = reader.GetString(1);
        }

        return partitions;
    }

    private static string Daily(DateTime day) => $"events_p{day:yyyyMMdd}";

    /// <summary>An event whose id and timestamp the client gave.</summary>
    private static IngestEvent Event(string id, string propertiesJson, DateTime time)
    {
        using var properties = JsonDocument.Parse(propertiesJson);
        return new IngestEvent(id, "api_call", time, null, propertiesJson, EventFingerprint.Compute("api_call", properties.RootElement, time), EventIdGiven: true);
    }

    /// <summary>An event whose id the client gave, timed by the server on arrival (the time is not part of its payload).</summary>
    private static IngestEvent ServerTimed(string id, string propertiesJson, DateTime time)
    {
        using var properties = JsonDocument.Parse(propertiesJson);
        return new IngestEvent(id, "api_call", time, null, propertiesJson, EventFingerprint.Compute("api_call", properties.RootElement, null), EventIdGiven: true);
    }
}
