using Flexprice.Grains.Ingestion;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>
/// Appends to the event log, the truth that grain state is a projection of, for the silo's group-commit writer
/// (<see cref="EventLogWriter"/>): rows into <c>events</c> (partitioned by event time), their idempotency keys into
/// <c>event_ids</c>, whose primary key (tenant, event id, external customer id) gives the database the last word on
/// duplicates, and each customer's new last position into <c>event_log_heads</c>, which orders each customer's log.
/// </summary>
public sealed partial class EventLogAppender(FlexpriceDatabase database, EventLogPartitions partitions, IOptions<EventLogRetentionOptions> retention)
{
    // The end of both append statements: the rows of r (those whose group's head moved) go into the idempotency
    // key and the log, in the one statement that moved the heads.
    private const string InsertRows = """
        ids AS (
            INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
            SELECT tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint FROM r
        ), logged AS (
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
            SELECT tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties::json, @now FROM r
        )
        """;

    // Many customers' appends in one statement (group commit; see EventLogWriter), each customer's
    // part (a "group") decided on its own, so one group's problem never fails or alters another's.
    //
    // - Positions: a group's rows take the positions right after its writer's (after_seq), with no
    //   gaps, and only if the customer's head is still at after_seq: the head moves from after_seq to
    //   the group's last position in the same statement (event_log_heads_advance, the compare-and-
    //   set; at position 0 the head is made). A writer that is behind (another activation wrote
    //   since) finds the head moved and stores nothing; a writer racing on the same head waits for the
    //   other's commit and then finds it moved. Such a group is reported as collided and the grain
    //   catches up and retries. A group is all of its new rows or none, and no row is ever taken back.
    //   Heads are taken in key order, so two flushes that share customers (two activations, while
    //   membership settles) do not deadlock over them.
    // - Every read of a table probes a primary key (event_log_heads_advance and event_ids_find are
    //   planned with sequential scans and hash joins off): a prepared plan made while the tables
    //   were empty stays right when they are large, so a new database appends at full speed from
    //   its first flush (a plan that scanned the log per id stalled appends for a minute, until the
    //   first ANALYZE).
    //
    // The statement for flushes whose ids are all server-made (new by construction, nothing to look
    // up): every row's position is known beforehand (its writer's position plus its rank in the
    // group), so rows go in as they are, if their group's head moved. Result: the groups whose head moved.
    private const string AppendUnnamedSql = $$"""
        WITH g AS (
            SELECT * FROM unnest(@g_tenants, @g_customers, @g_afters, @g_lasts) WITH ORDINALITY
                AS g(tenant_id, external_customer_id, after_seq, last_seq, grp)
        ), advanced AS (
            SELECT * FROM event_log_heads_advance(@g_tenants, @g_customers, @g_afters, @g_lasts)
        ), ok AS (
            SELECT g.grp, g.tenant_id, g.external_customer_id FROM g
            JOIN advanced a ON a.moved_tenant_id = g.tenant_id AND a.moved_customer_id = g.external_customer_id
        ), r AS (
            SELECT ok.tenant_id, ok.external_customer_id, u.*
            FROM unnest(@groups, @seqs, @ids, @names, @sources, @times, @properties, @fingerprints)
                AS u(grp, customer_seq, event_id, event_name, source, event_time, properties, fingerprint)
            JOIN ok ON ok.grp = u.grp
        ), {{InsertRows}}
        SELECT grp FROM ok
        """;

    // The statement when some ids are client-named (or derived from an Idempotency-Key): those are
    // looked up first (event_ids_find), and
    // - a group with any id stored under a different fingerprint inserts nothing (the batch is
    //   all-or-nothing per customer); its stored ids are reported so the grain answers 409;
    // - the other groups insert their rows that are not stored yet, numbered after their writer's
    //   position with no gaps, under the heads' compare-and-set as above.
    // Server-made ids are not looked up (new by construction; were one ever stored, event_ids'
    // primary key would refuse the statement).
    //
    // Result rows: kind 0 = inserted (id, position), 1 = already stored (id, fingerprint, position).
    private const string AppendNamedSql = $$"""
        WITH g AS (
            SELECT * FROM unnest(@g_tenants, @g_customers, @g_afters) WITH ORDINALITY
                AS g(tenant_id, external_customer_id, after_seq, grp)
        ), i AS (
            SELECT * FROM unnest(@groups, @ids, @names, @sources, @times, @properties, @fingerprints) WITH ORDINALITY
                AS i(grp, event_id, event_name, source, event_time, properties, fingerprint, ord)
        ), existing AS (
            SELECT i.grp, i.event_id, f.fingerprint, f.customer_seq, f.fingerprint <> i.fingerprint AS differs
            FROM event_ids_find(@r_tenants, @r_customers, @lookup_ids) f
            JOIN i ON i.ord = f.ord
        ), fresh AS (
            SELECT i.*, g.tenant_id, g.external_customer_id,
                   g.after_seq + row_number() OVER (PARTITION BY i.grp ORDER BY i.ord) AS customer_seq
            FROM i
            JOIN g ON g.grp = i.grp
            WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.grp = i.grp AND (x.differs OR x.event_id = i.event_id))
        ), counted AS (
            SELECT tenant_id, external_customer_id, min(customer_seq) - 1 AS after_seq, max(customer_seq) AS last_seq FROM fresh
            GROUP BY tenant_id, external_customer_id
        ), advanced AS (
            SELECT * FROM event_log_heads_advance(
                ARRAY(SELECT tenant_id FROM counted), ARRAY(SELECT external_customer_id FROM counted),
                ARRAY(SELECT after_seq FROM counted), ARRAY(SELECT last_seq FROM counted))
        ), r AS (
            SELECT f.* FROM fresh f
            JOIN advanced a ON a.moved_tenant_id = f.tenant_id AND a.moved_customer_id = f.external_customer_id
        ), {{InsertRows}}
        SELECT 0, r.grp, r.event_id, NULL::bytea, r.customer_seq FROM r
        UNION ALL
        SELECT 1, x.grp, x.event_id, x.fingerprint, x.customer_seq FROM existing x
        """;

    private static readonly Statement AppendUnnamed = new(AppendUnnamedSql);
    private static readonly Statement AppendNamed = new(AppendNamedSql);

    /// <summary>An appender with the default retention (keep forever), for tests and tools.</summary>
    public EventLogAppender(FlexpriceDatabase database)
        : this(database, new EventLogPartitions(database), Options.Create(new EventLogRetentionOptions()))
    {
    }

    /// <summary>
    /// Appends the events of one customer (distinct ids) after log position <paramref name="afterSeq"/>:
    /// a batch of one. Nothing is stored when any id is stored with a different fingerprint.
    /// </summary>
    public async Task<AppendResult> AppendAsync(
        string tenantId, string externalCustomerId, string customerId, IReadOnlyList<IngestEvent> events, long afterSeq, DateTime now, CancellationToken cancellationToken) =>
        (await AppendBatchAsync([new AppendRequest(tenantId, externalCustomerId, customerId, events, afterSeq)], now, cancellationToken))[0];

    /// <summary>
    /// Appends the events of several customers (at most one request per customer) in one statement
    /// (its own transaction), and answers per request. Committed when this returns. Throws when the database
    /// refuses the statement or its commit (then nothing of it is stored), or when the connection is lost (then
    /// whether it committed is unknown: the caller treats its memory as in doubt). A request with an event older than retention
    /// keeps (<see cref="EventLogRetentionOptions.AcceptedFrom"/>) is refused whole.
    /// </summary>
    public async Task<AppendResult[]> AppendBatchAsync(IReadOnlyList<AppendRequest> requests, DateTime now, CancellationToken cancellationToken)
    {
        var results = new AppendResult?[requests.Count];
        var keys = new HashSet<(string, string)>(requests.Count);
        var acceptedFrom = retention.Value.AcceptedFrom(now);
        var writing = new List<int>(requests.Count);
        for (var g = 0; g < requests.Count; g++)
        {
            var request = requests[g];
            if (!keys.Add((request.TenantId, request.ExternalCustomerId)))
            {
                throw new ArgumentException($"Two requests for customer {request.TenantId}/{request.ExternalCustomerId} in one batch", nameof(requests));
            }

            if (request.Events.Count == 0)
            {
                // Nothing to log: no statement, and above all no head at position 0 (made, it would never move).
                results[g] = new AppendResult(AppendResult.NoneInserted, AppendResult.NoneExisting, 0);
                continue;
            }

            if (acceptedFrom is { } from && AnyBefore(request.Events, from))
            {
                results[g] = AppendResult.Refusal(
                    $"timestamp before {from:yyyy-MM-dd'T'HH:mm:ss'Z'}: events older than the retention period ({retention.Value.Days} days, less the day its oldest partition has left) are not kept");
                continue;
            }

            writing.Add(g);
        }

        if (writing.Count > 0)
        {
            var written = await WriteWithPartitionsAsync([.. writing.Select(g => requests[g])], now, cancellationToken);
            for (var k = 0; k < writing.Count; k++)
            {
                results[writing[k]] = written[k];
            }
        }

        return [.. results.Select(r => r!)];
    }

    private static bool AnyBefore(IReadOnlyList<IngestEvent> events, DateTime from)
    {
        for (var k = 0; k < events.Count; k++)
        {
            if (events[k].Timestamp < from)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<AppendResult[]> WriteWithPartitionsAsync(AppendRequest[] requests, DateTime now, CancellationToken cancellationToken)
    {
        // Every event's time, in row order, gathered once: the partitions it needs, then the statement's times.
        var times = Times(requests);
        await partitions.EnsureAsync(times, cancellationToken);
        try
        {
            return await WriteAsync(requests, times, now, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && ex.MessageText.StartsWith("no partition of relation", StringComparison.Ordinal))
        {
            // A partition this silo knew of was dropped meanwhile (retention, run by another silo): look again, once.
            partitions.Invalidate();
            await partitions.EnsureAsync(times, cancellationToken);
            return await WriteAsync(requests, times, now, cancellationToken);
        }
    }

    private static DateTime[] Times(AppendRequest[] requests)
    {
        var times = new DateTime[requests.Sum(r => r.Events.Count)];
        var row = 0;
        foreach (var request in requests)
        {
            var events = request.Events;
            for (var k = 0; k < events.Count; k++)
            {
                times[row++] = events[k].Timestamp;
            }
        }

        return times;
    }

    /// <param name="times">Every event's time, in row order (<see cref="Times"/>).</param>
    private async Task<AppendResult[]> WriteAsync(AppendRequest[] requests, DateTime[] times, DateTime now, CancellationToken cancellationToken)
    {
        var groupCount = requests.Length;
        var tenants = new string[groupCount];
        var customers = new string[groupCount];
        var afters = new long[groupCount];
        var lasts = new long[groupCount];
        var rowCount = times.Length;
        var anyNamed = false;
        for (var g = 0; g < groupCount; g++)
        {
            var request = requests[g];
            tenants[g] = request.TenantId;
            customers[g] = request.ExternalCustomerId;
            afters[g] = request.AfterSeq;
            lasts[g] = request.AfterSeq + request.Events.Count;
            // Index loops over the events here and below: a foreach or LINQ over the IReadOnlyList would box an
            // enumerator per customer, on every flush.
            var events = request.Events;
            for (var k = 0; k < events.Count && !anyNamed; k++)
            {
                anyNamed = events[k].EventIdGiven;
            }
        }

        var groups = new int[rowCount];
        var seqs = new long[rowCount];
        var ids = new string[rowCount];
        var names = new string[rowCount];
        var sources = new string?[rowCount];
        var properties = new string[rowCount];
        var fingerprints = new byte[rowCount][];
        var row = 0;
        for (var g = 0; g < groupCount; g++)
        {
            var events = requests[g].Events;
            for (var k = 0; k < events.Count; k++)
            {
                var e = events[k];
                groups[row] = g + 1;
                seqs[row] = afters[g] + k + 1;
                ids[row] = e.EventId;
                names[row] = e.EventName;
                sources[row] = e.Source;
                properties[row] = e.PropertiesJson;
                fingerprints[row] = e.Fingerprint;
                row++;
            }
        }

        // Only client-named ids can be found stored already, or inserted apart from others of their request: without
        // them, a group's rows went in all together or not at all (moved), and every group shares the one empty map.
        var inserted = anyNamed ? new Dictionary<string, long>[groupCount] : null;
        var moved = anyNamed ? null : new bool[groupCount];
        var existing = anyNamed ? new Dictionary<string, byte[]>?[groupCount] : null;
        var lastExistingSeq = anyNamed ? new long[groupCount] : null;
        for (var g = 0; g < groupCount && anyNamed; g++)
        {
            inserted![g] = new Dictionary<string, long>(requests[g].Events.Count, StringComparer.Ordinal);
            existing![g] = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        }

        // The parameters by position (see Statement); the lookup's only with client-named ids, the positions only without.
        var statement = anyNamed ? AppendNamed : AppendUnnamed;
        var parameters = statement.NewParameters();
        statement.Set(parameters, "now", new NpgsqlParameter<DateTime> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = now });
        statement.Set(parameters, "g_tenants", TextArray(tenants));
        statement.Set(parameters, "g_customers", TextArray(customers));
        statement.Set(parameters, "g_afters", new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = afters });
        statement.Set(parameters, "groups", new NpgsqlParameter<int[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, TypedValue = groups });
        statement.Set(parameters, "ids", TextArray(ids));
        statement.Set(parameters, "names", TextArray(names));
        statement.Set(parameters, "sources", TextArray(sources));
        statement.Set(parameters, "times", new NpgsqlParameter<DateTime[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = times });
        statement.Set(parameters, "properties", TextArray(properties));
        statement.Set(parameters, "fingerprints", new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = fingerprints });
        if (anyNamed)
        {
            // The lookup's arrays, row by row; a server-made id is NULL there (never looked up, never found).
            var rowTenants = new string[rowCount];
            var rowCustomers = new string[rowCount];
            var lookupIds = new string?[rowCount];
            row = 0;
            for (var g = 0; g < groupCount; g++)
            {
                var events = requests[g].Events;
                for (var k = 0; k < events.Count; k++)
                {
                    rowTenants[row] = tenants[g];
                    rowCustomers[row] = customers[g];
                    lookupIds[row] = events[k].EventIdGiven ? events[k].EventId : null;
                    row++;
                }
            }

            statement.Set(parameters, "r_tenants", TextArray(rowTenants));
            statement.Set(parameters, "r_customers", TextArray(rowCustomers));
            statement.Set(parameters, "lookup_ids", TextArray(lookupIds));
        }
        else
        {
            statement.Set(parameters, "g_lasts", new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = lasts });
            statement.Set(parameters, "seqs", new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = seqs });
        }

        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        // One statement, so no BEGIN and COMMIT: PostgreSQL runs it as a transaction of its own and commits it
        // (WAL flushed) before it reports ready for the next query, which the reader waits for when it is disposed
        // below. The results are used only after that; a failed commit throws there, having stored nothing.
        await using var command = statement.Command(connection, parameters);
        // Prepared once per physical connection (Npgsql keeps it across pool checkouts): a flush of a
        // few rows would otherwise spend most of its time planning this statement.
        await command.PrepareAsync(cancellationToken);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!anyNamed)
                {
                    // The group's head moved: every row of it went in, at the positions computed above.
                    moved![(int)reader.GetInt64(0) - 1] = true;
                    continue;
                }

                var group = (int)reader.GetInt64(1) - 1;
                if (reader.GetInt32(0) == 0)
                {
                    inserted![group][reader.GetString(2)] = reader.GetInt64(4);
                }
                else
                {
                    existing![group]![reader.GetString(2)] = reader.GetFieldValue<byte[]>(3);
                    lastExistingSeq![group] = Math.Max(lastExistingSeq[group], reader.GetInt64(4));
                }
            }
        }

        // A group that stored none of its ids under another fingerprint (no conflict) inserted every id
        // not stored before, or (its head had moved: another writer logged after its position) none.
        var results = new AppendResult[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            var events = requests[g].Events;
            if (moved is not null)
            {
                results[g] = moved[g]
                    ? new AppendResult(new InsertedInOrder(events, afters[g]), AppendResult.NoneExisting, 0)
                    : new AppendResult(AppendResult.NoneInserted, AppendResult.NoneExisting, 0, Collided: true);
                continue;
            }

            var found = existing![g];
            var conflict = false;
            if (found is { Count: > 0 })
            {
                for (var k = 0; k < events.Count && !conflict; k++)
                {
                    conflict = found.TryGetValue(events[k].EventId, out var stored) && IdempotencyRule.Decide(stored, events[k].Fingerprint) == EventOutcome.Conflict;
                }
            }

            var expected = conflict ? 0 : events.Count - (found?.Count ?? 0);
            results[g] = new AppendResult(inserted![g], found ?? AppendResult.NoneExisting, lastExistingSeq![g], Collided: inserted[g].Count != expected);
        }

        return results;
    }

    private static NpgsqlParameter<string?[]> TextArray(string?[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };

    /// <summary>
    /// A statement written with named placeholders (<c>@name</c>) and sent with positional ones (<c>$1</c>, <c>$2</c>, …):
    /// Npgsql sends a command whose parameters have no names as it is, where named ones make it parse and rewrite the
    /// statement's text (some 2 KB) on every flush.
    /// </summary>
    private sealed partial class Statement
    {
        private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);
        private readonly string _text;

        public Statement(string sql) =>
            _text = Placeholder().Replace(sql, match =>
            {
                var name = match.Groups[1].Value;
                if (!_positions.TryGetValue(name, out var position))
                {
                    _positions[name] = position = _positions.Count + 1;
                }

                return "$" + position.ToString(System.Globalization.CultureInfo.InvariantCulture);
            });

        public NpgsqlParameter[] NewParameters() => new NpgsqlParameter[_positions.Count];

        public void Set(NpgsqlParameter[] parameters, string name, NpgsqlParameter parameter) => parameters[_positions[name] - 1] = parameter;

        public NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlParameter[] parameters)
        {
            var command = new NpgsqlCommand(_text, connection);
            for (var k = 0; k < parameters.Length; k++)
            {
                command.Parameters.Add(parameters[k] ?? throw new InvalidOperationException($"Parameter ${k + 1} of the append statement was not set"));
            }

            return command;
        }

        [System.Text.RegularExpressions.GeneratedRegex("@([a-z_]+)")]
        private static partial System.Text.RegularExpressions.Regex Placeholder();
    }
}
