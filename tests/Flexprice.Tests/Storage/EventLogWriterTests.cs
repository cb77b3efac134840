using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flexprice.Tests.Storage;

/// <summary>
/// Group commit: many customers' appends in one statement, each customer decided on its own, and values
/// PostgreSQL refuses failing only the append that holds them. Straight against PostgreSQL, without a silo; every test
/// uses a fresh tenant id, so tests never see each other's rows.
/// </summary>
public sealed class EventLogWriterTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2025, 8, 22, 7, 5, 49, DateTimeKind.Utc);

    private readonly string _tenant = "tenant_" + Guid.NewGuid().ToString("N");
    private FlexpriceDatabase _database = null!;
    private EventLogAppender _log = null!;

    public async Task InitializeAsync()
    {
        _database = FlexpriceDatabase.Create(await TestDatabase.ReadyAsync());
        _log = new EventLogAppender(_database);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Concurrent_appends_of_many_customers_share_flushes_and_get_dense_positions()
    {
        await using var writer = Writer(maxConcurrentFlushes: 1);
        const int customers = 100, appendsEach = 5, eventsEach = 3;

        // Each customer appends in sequence, as its grain would; the customers run concurrently.
        var results = await Task.WhenAll(Enumerable.Range(0, customers).Select(async c =>
        {
            var positions = new List<long>();
            long last = 0;
            for (var a = 0; a < appendsEach; a++)
            {
                var events = Enumerable.Range(0, eventsEach).Select(k => Event($"e{a}-{k}", $$"""{"n": {{k}}}""")).ToList();
                var result = await writer.AppendAsync(Request($"c{c}", last, events));
                Assert.False(result.Collided);
                Assert.Empty(result.Existing);
                Assert.Equal(eventsEach, result.Inserted.Count);
                positions.AddRange(events.Select(e => result.Inserted[e.EventId]));
                last = positions[^1];
            }

            return positions;
        }));

        Assert.All(results, positions => Assert.Equal(Enumerable.Range(1, appendsEach * eventsEach).Select(i => (long)i), positions));
        Assert.Equal(customers * appendsEach * eventsEach, await StoredAsync());
        Assert.True(writer.Flushes < customers * appendsEach, $"{writer.Flushes} flushes for {customers * appendsEach} appends: nothing was coalesced");
    }

    [Fact]
    public async Task One_flush_decides_each_customer_on_its_own()
    {
        // Already logged: "dup" under c-dup, "x" under c-conflict, and position 1 of c-behind.
        await _log.AppendAsync(_tenant, "c-dup", "id", [Event("dup", """{"n": 1}""")], 0, T0, default);
        await _log.AppendAsync(_tenant, "c-conflict", "id", [Event("x", """{"n": 1}""")], 0, T0, default);
        await _log.AppendAsync(_tenant, "c-behind", "id", [Event("other", """{"n": 1}""")], 0, T0, default);

        var results = await _log.AppendBatchAsync(
            [
                Request("c-clean", 0, [Event("a", "{}"), Event("b", "{}")]),
                Request("c-dup", 1, [Event("new1", "{}"), Event("dup", """{"n": 1}"""), Event("new2", "{}")]),
                Request("c-conflict", 1, [Event("y", "{}"), Event("x", """{"n": 2}""")]),
                Request("c-behind", 0, [Event("mine", "{}")]),
            ],
            T0,
            default);

        var (clean, dup, conflict, behind) = (results[0], results[1], results[2], results[3]);
        Assert.False(clean.Collided);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, clean.Inserted);

        Assert.False(dup.Collided);
        Assert.Equal(new Dictionary<string, long> { ["new1"] = 2, ["new2"] = 3 }, dup.Inserted);
        Assert.Equal(["dup"], dup.Existing.Keys);
        Assert.Equal(1, dup.LastExistingSeq);

        // A conflicting payload stores nothing of that customer's batch, and says which id it was.
        Assert.False(conflict.Collided);
        Assert.Empty(conflict.Inserted);
        Assert.Equal(Event("x", """{"n": 1}""").Fingerprint, conflict.Existing["x"]);

        // A writer that is behind stores nothing and is told to catch up.
        Assert.True(behind.Collided);
        Assert.Empty(behind.Inserted);

        Assert.Equal(["a", "b"], await IdsAsync("c-clean"));
        Assert.Equal(["dup", "new1", "new2"], await IdsAsync("c-dup"));
        Assert.Equal(["x"], await IdsAsync("c-conflict"));
        Assert.Equal(["other"], await IdsAsync("c-behind"));
    }

    [Fact]
    public async Task A_commit_that_fails_after_the_rows_came_back_throws_and_stores_nothing()
    {
        // The flush is one statement without BEGIN and COMMIT: PostgreSQL commits it after it has sent its rows. A
        // constraint checked only at commit (deferred, as a failed disk flush would be) must still fail the append,
        // with nothing of any customer stored, and not be answered as committed from the rows already read.
        var marker = "fail-at-commit-" + Guid.NewGuid().ToString("N");
        var trigger = "test_fail_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = await OpenAsync())
        {
            await using var create = new NpgsqlCommand(
                $"""
                CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.event_id = '{marker}' THEN RAISE EXCEPTION 'refused at commit'; END IF;
                    RETURN NULL;
                END $$;
                CREATE CONSTRAINT TRIGGER {trigger} AFTER INSERT ON event_ids DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION {trigger}();
                """,
                connection);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            var failed = await Assert.ThrowsAsync<PostgresException>(() => _log.AppendBatchAsync(
                [Request("c-ok", 0, [Event("a", "{}"), Event("b", "{}")]), Request("c-marked", 0, [Event(marker, "{}")])], T0, default));
            Assert.Contains("refused at commit", failed.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await using var connection = await OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TRIGGER {trigger} ON event_ids; DROP FUNCTION {trigger}();", connection);
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal(0, await StoredAsync());
        // The heads did not move either: the same append, from the same position, goes in.
        var again = await _log.AppendBatchAsync([Request("c-ok", 0, [Event("a", "{}"), Event("b", "{}")])], T0, default);
        Assert.False(again[0].Collided);
        Assert.Equal(["a", "b"], await IdsAsync("c-ok"));
    }

    [Fact]
    public async Task Writes_run_read_committed_whatever_the_server_default()
    {
        // A server (or role, or connection string) that defaults to a stricter isolation would turn a moved head,
        // which the flush reports as that customer's collision, into a serialization failure of the whole flush.
        var strict = new NpgsqlConnectionStringBuilder(await TestDatabase.ReadyAsync()) { Options = "-c default_transaction_isolation=serializable" };
        await using var database = FlexpriceDatabase.Create(strict.ConnectionString);
        await using var command = database.DataSource.CreateCommand("SHOW transaction_isolation");
        Assert.Equal("read committed", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Server_made_ids_go_straight_in_and_a_writer_that_is_behind_still_stores_nothing()
    {
        // Position 1 of u-behind is taken: its writer thinks the log is empty. u-next holds positions 1 to 4.
        await _log.AppendAsync(_tenant, "u-behind", "id", [Event("other", "{}")], 0, T0, default);
        await _log.AppendAsync(_tenant, "u-next", "id", [.. Enumerable.Range(1, 4).Select(k => Event($"n{k}", "{}"))], 0, T0, default);

        var results = await _log.AppendBatchAsync(
            [
                Request("u-clean", 0, [Event("a", "{}", named: false), Event("b", "{}", named: false)]),
                Request("u-behind", 0, [Event("mine1", "{}", named: false), Event("mine2", "{}", named: false)]),
                Request("u-next", 4, [Event("n5", "{}", named: false)]),
                // A writer past position 0 for a customer without a head (which no append leaves: heads are made with
                // the first rows and never deleted) writes nothing: no position is taken without the head's check.
                Request("u-headless", 2, [Event("h3", "{}", named: false)]),
            ],
            T0,
            default);

        Assert.False(results[0].Collided);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, results[0].Inserted);
        // The head of u-behind is at 1, not 0: none of its rows goes in.
        Assert.True(results[1].Collided);
        Assert.Empty(results[1].Inserted);
        Assert.Empty(results[1].Existing);
        Assert.Equal(new Dictionary<string, long> { ["n5"] = 5 }, results[2].Inserted);
        Assert.True(results[3].Collided);
        Assert.Empty(results[3].Inserted);

        Assert.Equal(["a", "b"], await IdsAsync("u-clean"));
        Assert.Equal(["other"], await IdsAsync("u-behind"));
        Assert.Equal(["n1", "n2", "n3", "n4", "n5"], await IdsAsync("u-next"));
        Assert.Empty(await IdsAsync("u-headless"));
    }

    [Fact]
    public async Task An_append_of_no_events_stores_nothing_and_leaves_the_customer_free_to_append()
    {
        // A head made at position 0 would never move (only writers past 0 move heads): the customer could never append.
        var results = await _log.AppendBatchAsync([Request("u-empty", 0, []), Request("u-other", 0, [Event("o1", "{}", named: false)])], T0, default);

        Assert.False(results[0].Collided);
        Assert.Empty(results[0].Inserted);
        Assert.Equal(0, await TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM event_log_heads WHERE tenant_id = @t AND external_customer_id = 'u-empty'", ("t", _tenant)));
        var first = await _log.AppendAsync(_tenant, "u-empty", "id", [Event("e1", "{}", named: false)], 0, T0, default);
        Assert.Equal(new Dictionary<string, long> { ["e1"] = 1 }, first.Inserted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rows_another_writer_has_in_flight_collide_only_that_customer_and_store_none_of_its_rows(bool named)
    {
        // Another activation of c-race is writing position 2, not committed yet: invisible to the
        // flush's snapshot, so only the head's compare-and-set runs into it (and waits for it).
        await using var other = await OpenAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        await InsertRawAsync(other, otherTransaction, "c-race", 2, Event("theirs", "{}"));

        var flush = _log.AppendBatchAsync(
            [
                Request("c-race", 0, [Event("m1", "{}", named), Event("m2", "{}", named), Event("m3", "{}", named)]),
                Request("c-bystander", 0, [Event("b1", "{}", named)]),
            ],
            T0,
            default);
        await WaitUntilBlockedByAsync(other);
        await otherTransaction.CommitAsync();
        var results = await flush;

        Assert.True(results[0].Collided);
        Assert.Empty(results[0].Inserted);
        Assert.False(results[1].Collided);
        Assert.Equal(new Dictionary<string, long> { ["b1"] = 1 }, results[1].Inserted);
        // The head had moved when the flush got it: none of c-race's rows went in (the group is all or nothing).
        Assert.Equal(["theirs"], await IdsAsync("c-race"));
        Assert.Equal(["b1"], await IdsAsync("c-bystander"));
    }

    [Fact]
    public async Task Values_PostgreSQL_refuses_fail_only_their_own_append_and_the_rest_of_the_flush_commits()
    {
        await using var writer = Writer(maxConcurrentFlushes: 1);

        // Hold the writer's only flush slot: its first flush waits on a row another transaction is writing.
        await using var other = await OpenAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        await InsertRawAsync(other, otherTransaction, "c-hold", 1, Event("theirs", "{}"));
        var holding = writer.AppendAsync(Request("c-hold", 0, [Event("h1", "{}")]));
        await WaitUntilBlockedByAsync(other);

        // These queue behind it and go out together in the next flush: good appends of 20 customers, and
        // four appends whose values PostgreSQL refuses (a NUL in text, an event id too long to index,
        // bad JSON for the json column, a NUL in an id), mixed in among them.
        var poison = new Dictionary<string, IngestEvent>
        {
            ["c-nul-source"] = Event("p1", "{}") with { Source = "a\0b" },
            ["c-long-id"] = Event(string.Concat(Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString("N"))), "{}"),
            ["c-bad-json"] = Event("p3", "{}") with { PropertiesJson = "{not json" },
            ["c-nul-id"] = Event("p\0", "{}"),
        };
        var appends = new List<(string Customer, Task<AppendResult> Result)>();
        for (var i = 0; i < 20; i++)
        {
            appends.Add(($"c-good-{i}", writer.AppendAsync(Request($"c-good-{i}", 0, [Event($"g{i}", "{}"), Event($"h{i}", "{}")]))));
            if (i % 5 == 2)
            {
                var (customer, e) = poison.ElementAt(i / 5);
                appends.Add((customer, writer.AppendAsync(Request(customer, 0, [Event($"ok{i}", "{}"), e]))));
            }
        }

        await otherTransaction.CommitAsync();

        Assert.True((await holding).Collided);
        foreach (var (customer, task) in appends)
        {
            var result = await task;
            if (poison.ContainsKey(customer))
            {
                Assert.True(result.Refused is not null, $"{customer} was not refused");
                Assert.Empty(result.Inserted);
                Assert.Empty(await IdsAsync(customer));
            }
            else
            {
                Assert.Null(result.Refused);
                Assert.Equal(2, result.Inserted.Count);
                Assert.Equal(2, (await IdsAsync(customer)).Count);
            }
        }

        Assert.Contains("U+0000", (await appends.Single(a => a.Customer == "c-nul-source").Result).Refused);
        Assert.Contains("too large", (await appends.Single(a => a.Customer == "c-long-id").Result).Refused);

        // The writer carries on.
        var after = await writer.AppendAsync(Request("c-bad-json", 0, [Event("g1", "{}")]));
        Assert.Equal(new Dictionary<string, long> { ["g1"] = 1 }, after.Inserted);
    }

    [Fact]
    public async Task Unreachable_database_fails_the_append()
    {
        var builder = new NpgsqlConnectionStringBuilder(await TestDatabase.ReadyAsync()) { Port = 1, Timeout = 2 };
        await using var database = FlexpriceDatabase.Create(builder.ConnectionString);
        await using var writer = new EventLogWriter(new EventLogAppender(database), TimeProvider.System, Options.Create(new EventLogWriterOptions()), NullLogger<EventLogWriter>.Instance);

        await Assert.ThrowsAnyAsync<Exception>(() => writer.AppendAsync(Request("c", 0, [Event("e", "{}")])));
    }

    private EventLogWriter Writer(int maxConcurrentFlushes) =>
        new(_log, TimeProvider.System, Options.Create(new EventLogWriterOptions { MaxConcurrentFlushes = maxConcurrentFlushes }), NullLogger<EventLogWriter>.Instance);

    private AppendRequest Request(string customer, long afterSeq, IReadOnlyList<IngestEvent> events) => new(_tenant, customer, "id_" + customer, events, afterSeq);

    /// <summary>An event whose id the client named, or (<paramref name="named"/> false) the server made up.</summary>
    private static IngestEvent Event(string id, string propertiesJson, bool named = true)
    {
        using var properties = JsonDocument.Parse(propertiesJson);
        return new IngestEvent(id, "api_call", T0, null, propertiesJson, EventFingerprint.Compute("api_call", properties.RootElement, T0), EventIdGiven: named);
    }

    private async Task<NpgsqlConnection> OpenAsync() => await _database.DataSource.OpenConnectionAsync();

    private Task InsertRawAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string customer, long seq, IngestEvent e) =>
        LogRows.InsertAsync(connection, transaction, _tenant, customer, seq, e);

    /// <summary>Waits (in real time: the wait is PostgreSQL's) until some session waits for a lock <paramref name="blocker"/> holds.</summary>
    private async Task WaitUntilBlockedByAsync(NpgsqlConnection blocker)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE @pid = ANY(pg_blocking_pids(pid))", ("pid", blocker.ProcessID)) > 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("The flush never reached the row the other transaction holds");
    }

    private async Task<long> StoredAsync() =>
        await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", _tenant));

    private async Task<List<string>> IdsAsync(string customer)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT event_id FROM events WHERE tenant_id = @t AND external_customer_id = @c ORDER BY event_id", connection);
        command.Parameters.AddWithValue("t", _tenant);
        command.Parameters.AddWithValue("c", customer);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
