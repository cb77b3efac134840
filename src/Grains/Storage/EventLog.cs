using System.Runtime.CompilerServices;
using Flexprice.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>An event as the log holds it.</summary>
public sealed record LoggedEvent(long Seq, string EventId, string EventName, DateTime Timestamp, string PropertiesJson, byte[] Fingerprint);

/// <summary>An event as a usage computation reads it: time, tie-break order (later ingested is greater) and properties.</summary>
public sealed record UsageRow(DateTime Timestamp, long Order, string PropertiesJson);

/// <summary>A stored event as the event debugger shows it.</summary>
public sealed record StoredEvent(
    string ExternalCustomerId, long Seq, string EventId, string EventName, string? CustomerId, string? Source, DateTime Timestamp, string PropertiesJson, DateTime IngestedAt);

/// <summary>
/// What to list: every criterion is optional. <see cref="Properties"/>: the event's property (its text: a
/// number as written, <c>true</c>/<c>false</c>) equals one of the values, for every key given.
/// </summary>
public sealed record EventListFilter(
    string? ExternalCustomerId, string? EventName, string? EventId, string? Source, DateTime? Start, DateTime? End,
    IReadOnlyList<PropertyMatch>? Properties = null);

/// <summary>A property and the values it may have.</summary>
public sealed record PropertyMatch(string Key, IReadOnlyList<string> Values);

/// <summary>
/// The order of a listing: by (timestamp, event id, customer), or by (event name, timestamp, event id, customer)
/// when <see cref="ByName"/>; all columns descending unless <see cref="Ascending"/>.
/// </summary>
public sealed record EventListOrder(bool ByName, bool Ascending)
{
    public static readonly EventListOrder NewestFirst = new(false, false);
}

/// <summary>A listing's position (exclusive): the rows after <see cref="Key"/> in listing order, or, <see cref="Backward"/>, the rows just before it.</summary>
public sealed record EventListPosition(EventListKey Key, bool Backward);

/// <summary>An event's place in a listing: its timestamp, id, customer and name (the columns a listing sorts by).</summary>
public sealed record EventListKey(DateTime Timestamp, string EventId, string ExternalCustomerId, string EventName);

/// <summary>One customer's part of a group-committed append: its distinct new-looking events, to be logged right after position <see cref="AfterSeq"/>.</summary>
public sealed record AppendRequest(string TenantId, string ExternalCustomerId, string CustomerId, IReadOnlyList<IngestEvent> Events, long AfterSeq);

/// <summary>
/// What an append found: the ids it inserted with the log positions they got, the stored
/// fingerprints of ids that already existed, and the greatest log position among those (0 when
/// none). <see cref="Collided"/>: nothing was inserted because another writer holds positions after
/// the request's, or raced on one of its ids; the caller must catch up from the log and decide again.
/// <see cref="Refused"/>: PostgreSQL refused the request's values (a gap in validation at the door):
/// nothing was stored, and the words say why, for a 400.
/// </summary>
public sealed record AppendResult(Dictionary<string, long> Inserted, Dictionary<string, byte[]> Existing, long LastExistingSeq, bool Collided = false, string? Refused = null)
{
    public static AppendResult Refusal(string reason) => new([], [], 0, Refused: reason);
}

/// <summary>
/// The append-only event log (table <c>events</c>), the truth that grain state is a projection of.
/// Its unique key (tenant, external customer id, event id) is the idempotency key, so the database
/// has the last word on duplicates; its primary key (tenant, external customer id, customer_seq)
/// orders each customer's log.
/// </summary>
public sealed class EventLog(FlexpriceDatabase database)
{
    // Many customers' appends in one statement (group commit; see EventLogWriter), each customer's
    // part (a "group") decided on its own, so one group's problem never fails or alters another's:
    //
    // - existing: the stored rows of the groups' ids (the idempotency key index).
    // - A group with any id stored under a different fingerprint inserts nothing (the batch is
    //   all-or-nothing per customer); its stored ids are reported so the grain answers 409.
    // - The other groups insert their rows that are not stored yet, at the positions right after
    //   their writer's, with no gaps, so every position up to a writer's last is filled and a
    //   writer that is behind can only collide, never slip an event in behind another's.
    // - ON CONFLICT DO NOTHING (any unique key) instead of an error: another writer's rows at the
    //   same positions (a second activation that wrote after this writer's position: positions are
    //   dense, so it holds the very next one) or with the same ids, committed or in flight, skip
    //   just those rows instead of failing every group of the statement. Such a group inserted
    //   fewer rows than it asked for; AppendBatchAsync deletes them again, in the same
    //   transaction, and reports the group as collided, so the grain catches up and retries. So
    //   each group's result is all of its new rows or none, and no position is probed beforehand:
    //   the primary key is the probe.
    //
    // - Only client-named ids are looked up: a server-made id is new by construction (and were one
    //   ever stored, ON CONFLICT would skip it and the group would report a collision, not a count).
    //
    // Result rows: kind 0 = inserted (id, position), 1 = already stored (id, fingerprint,
    // position).
    private const string AppendBatchSql = """
        WITH g AS (
            SELECT * FROM unnest(@g_tenants, @g_customers, @g_customer_ids, @g_afters) WITH ORDINALITY
                AS g(tenant_id, external_customer_id, customer_id, after_seq, grp)
        ), i AS (
            SELECT * FROM unnest(@groups, @ids, @named, @names, @times, @sources, @properties, @fingerprints) WITH ORDINALITY
                AS i(grp, event_id, named, event_name, event_time, source, properties, fingerprint, ord)
        ), existing AS (
            SELECT i.grp, e.event_id, e.fingerprint, e.customer_seq, e.fingerprint <> i.fingerprint AS differs
            FROM i
            JOIN g ON g.grp = i.grp
            JOIN events e ON e.tenant_id = g.tenant_id AND e.external_customer_id = g.external_customer_id AND e.event_id = i.event_id
            WHERE i.named
        ), fresh AS (
            SELECT i.*, g.tenant_id, g.external_customer_id, g.customer_id,
                   g.after_seq + row_number() OVER (PARTITION BY i.grp ORDER BY i.ord) AS customer_seq
            FROM i
            JOIN g ON g.grp = i.grp
            WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.grp = i.grp AND (x.differs OR x.event_id = i.event_id))
        ), inserted AS (
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, customer_id,
                                source, event_time, properties, fingerprint, ingested_at)
            SELECT f.tenant_id, f.external_customer_id, f.customer_seq, f.event_id, f.event_name, f.customer_id,
                   f.source, f.event_time, f.properties::json, f.fingerprint, @now
            FROM fresh f
            ON CONFLICT DO NOTHING
            RETURNING tenant_id, external_customer_id, event_id, customer_seq
        )
        SELECT 0, g.grp, r.event_id, NULL::bytea, r.customer_seq
        FROM inserted r JOIN g ON g.tenant_id = r.tenant_id AND g.external_customer_id = r.external_customer_id
        UNION ALL
        SELECT 1, x.grp, x.event_id, x.fingerprint, x.customer_seq FROM existing x
        """;

    // The same append when no row names its id (every id server-made, so none can be stored yet):
    // each row's position is known before the statement (the writer's position plus its rank in
    // the group), so the rows go straight into the table, as the raw-ingest baseline writes them.
    // A row skipped by ON CONFLICT still marks its group as collided (see AppendBatchAsync).
    private const string AppendUnnamedSql = """
        INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, customer_id,
                            source, event_time, properties, fingerprint, ingested_at)
        SELECT u.tenant_id, u.external_customer_id, u.customer_seq, u.event_id, u.event_name, u.customer_id,
               u.source, u.event_time, u.properties::json, u.fingerprint, @now
        FROM unnest(@r_tenants, @r_customers, @r_seqs, @ids, @names, @r_customer_ids, @sources, @times, @properties, @fingerprints)
            AS u(tenant_id, external_customer_id, customer_seq, event_id, event_name, customer_id, source, event_time, properties, fingerprint)
        ON CONFLICT DO NOTHING
        RETURNING event_id, customer_seq
        """;

    private const string DeleteSql = """
        DELETE FROM events e
        USING unnest(@tenants, @customers, @seqs) AS d(tenant_id, external_customer_id, customer_seq)
        WHERE e.tenant_id = d.tenant_id AND e.external_customer_id = d.external_customer_id AND e.customer_seq = d.customer_seq
        """;

    /// <summary>
    /// Appends the events of one customer (distinct ids) after log position <paramref name="afterSeq"/>:
    /// a batch of one. Nothing is stored when any id is stored with a different fingerprint.
    /// </summary>
    public async Task<AppendResult> AppendAsync(
        string tenantId, string externalCustomerId, string customerId, IReadOnlyList<IngestEvent> events, long afterSeq, DateTime now, CancellationToken cancellationToken) =>
        (await AppendBatchAsync([new AppendRequest(tenantId, externalCustomerId, customerId, events, afterSeq)], now, cancellationToken))[0];

    /// <summary>
    /// Appends the events of several customers (at most one request per customer) in one statement
    /// and one transaction, and answers per request. Committed when this returns; throws (having
    /// committed nothing) when the database fails.
    /// </summary>
    public async Task<AppendResult[]> AppendBatchAsync(IReadOnlyList<AppendRequest> requests, DateTime now, CancellationToken cancellationToken)
    {
        var groupCount = requests.Count;
        var tenants = new string[groupCount];
        var customers = new string[groupCount];
        var customerIds = new string[groupCount];
        var afters = new long[groupCount];
        var rowCount = 0;
        var keys = new HashSet<(string, string)>();
        for (var g = 0; g < groupCount; g++)
        {
            var request = requests[g];
            if (!keys.Add((request.TenantId, request.ExternalCustomerId)))
            {
                throw new ArgumentException($"Two requests for customer {request.TenantId}/{request.ExternalCustomerId} in one batch", nameof(requests));
            }

            tenants[g] = request.TenantId;
            customers[g] = request.ExternalCustomerId;
            customerIds[g] = request.CustomerId;
            afters[g] = request.AfterSeq;
            rowCount += request.Events.Count;
        }

        var groups = new int[rowCount];
        var rowTenants = new string[rowCount];
        var rowCustomers = new string[rowCount];
        var rowCustomerIds = new string[rowCount];
        var rowSeqs = new long[rowCount];
        var anyNamed = false;
        var ids = new string[rowCount];
        var named = new bool[rowCount];
        var names = new string[rowCount];
        var times = new DateTime[rowCount];
        var sources = new string?[rowCount];
        var properties = new string[rowCount];
        var fingerprints = new byte[rowCount][];
        var row = 0;
        for (var g = 0; g < groupCount; g++)
        {
            var rank = 0L;
            foreach (var e in requests[g].Events)
            {
                groups[row] = g + 1;
                rowTenants[row] = tenants[g];
                rowCustomers[row] = customers[g];
                rowCustomerIds[row] = customerIds[g];
                rowSeqs[row] = afters[g] + ++rank;
                anyNamed |= e.EventIdGiven;
                ids[row] = e.EventId;
                named[row] = e.EventIdGiven;
                names[row] = e.EventName;
                times[row] = e.Timestamp;
                sources[row] = e.Source;
                properties[row] = e.PropertiesJson;
                fingerprints[row] = e.Fingerprint;
                row++;
            }
        }

        var inserted = new Dictionary<string, long>[groupCount];
        var existing = new Dictionary<string, byte[]>[groupCount];
        var lastExistingSeq = new long[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            inserted[g] = new Dictionary<string, long>(StringComparer.Ordinal);
            existing[g] = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        }

        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        // BEGIN goes out with the statement (no round trip of its own).
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Server-made ids are unique, so an id names its group (were one ever repeated, the general
        // statement below sorts it out).
        var groupOfId = anyNamed ? null : new Dictionary<string, int>(rowCount, StringComparer.Ordinal);
        for (var r = 0; groupOfId is not null && r < rowCount; r++)
        {
            if (!groupOfId.TryAdd(ids[r], groups[r] - 1))
            {
                groupOfId = null;
            }
        }

        // Both statements take the rows' own columns the same way; each adds how rows find their customer.
        NpgsqlCommand Statement(string sql)
        {
            var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
            command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = names });
            command.Parameters.Add(new NpgsqlParameter<string?[]>("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = sources });
            command.Parameters.Add(new NpgsqlParameter<DateTime[]>("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = times });
            command.Parameters.Add(new NpgsqlParameter<string[]>("properties", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = properties });
            command.Parameters.Add(new NpgsqlParameter<byte[][]>("fingerprints", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = fingerprints });
            return command;
        }

        if (groupOfId is not null)
        {
            await using var command = Statement(AppendUnnamedSql);
            command.Parameters.Add(new NpgsqlParameter<string[]>("r_tenants", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rowTenants });
            command.Parameters.Add(new NpgsqlParameter<string[]>("r_customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rowCustomers });
            command.Parameters.Add(new NpgsqlParameter<long[]>("r_seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = rowSeqs });
            command.Parameters.Add(new NpgsqlParameter<string[]>("r_customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rowCustomerIds });
            await command.PrepareAsync(cancellationToken);

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                inserted[groupOfId[id]][id] = reader.GetInt64(1);
            }
        }
        else
        {
            await using var command = Statement(AppendBatchSql);
            command.Parameters.Add(new NpgsqlParameter<string[]>("g_tenants", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = tenants });
            command.Parameters.Add(new NpgsqlParameter<string[]>("g_customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = customers });
            command.Parameters.Add(new NpgsqlParameter<string[]>("g_customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = customerIds });
            command.Parameters.Add(new NpgsqlParameter<long[]>("g_afters", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = afters });
            command.Parameters.Add(new NpgsqlParameter<int[]>("groups", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = groups });
            command.Parameters.Add(new NpgsqlParameter<bool[]>("named", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = named });
            // Prepared once per physical connection (Npgsql keeps it across pool checkouts): a
            // flush of a few rows would otherwise spend most of its time planning this statement.
            await command.PrepareAsync(cancellationToken);

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var g = (int)reader.GetInt64(1) - 1;
                if (reader.GetInt32(0) == 0)
                {
                    inserted[g][reader.GetString(2)] = reader.GetInt64(4);
                }
                else
                {
                    existing[g][reader.GetString(2)] = reader.GetFieldValue<byte[]>(3);
                    lastExistingSeq[g] = Math.Max(lastExistingSeq[g], reader.GetInt64(4));
                }
            }
        }

        // A group that stored none of its ids under another fingerprint (no conflict) must have
        // inserted every id not stored before. When it did not, another writer's rows took some of
        // its positions (it is behind) or ids (a race): undo the part it inserted, so that the
        // group stays all-or-nothing, and report a collision.
        var collided = new bool[groupCount];
        List<(string Tenant, string Customer, long Seq)>? undo = null;
        for (var g = 0; g < groupCount; g++)
        {
            var request = requests[g];
            var conflict = false;
            foreach (var e in request.Events)
            {
                if (existing[g].TryGetValue(e.EventId, out var stored) && !stored.AsSpan().SequenceEqual(e.Fingerprint))
                {
                    conflict = true;
                    break;
                }
            }

            var expected = conflict ? 0 : request.Events.Count - existing[g].Count;
            if (inserted[g].Count != expected)
            {
                collided[g] = true;
                foreach (var seq in inserted[g].Values)
                {
                    (undo ??= []).Add((request.TenantId, request.ExternalCustomerId, seq));
                }

                inserted[g].Clear();
            }
        }

        if (undo is not null)
        {
            await using var delete = new NpgsqlCommand(DeleteSql, connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter<string[]>("tenants", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. undo.Select(u => u.Tenant)] });
            delete.Parameters.Add(new NpgsqlParameter<string[]>("customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. undo.Select(u => u.Customer)] });
            delete.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. undo.Select(u => u.Seq)] });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);

        var results = new AppendResult[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            results[g] = new AppendResult(inserted[g], existing[g], lastExistingSeq[g], collided[g]);
        }

        return results;
    }

    /// <summary>The stored fingerprints of those of <paramref name="eventIds"/> already in the customer's log.</summary>
    public async Task<Dictionary<string, byte[]>> FindAsync(
        string tenantId, string externalCustomerId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT event_id, fingerprint FROM events WHERE tenant_id = @tenant AND external_customer_id = @customer AND event_id = ANY(@ids)");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. eventIds] });
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return found;
    }

    /// <summary>The customer's log after position <paramref name="afterSeq"/>, in log order.</summary>
    public async IAsyncEnumerable<LoggedEvent> ReadAsync(
        string tenantId, string externalCustomerId, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT customer_seq, event_id, event_name, event_time, properties::text, fingerprint FROM events
            WHERE tenant_id = @tenant AND external_customer_id = @customer AND customer_seq > @after
            ORDER BY customer_seq
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<long>("after", afterSeq));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new LoggedEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTime>(3),
                reader.GetString(4),
                reader.GetFieldValue<byte[]>(5));
        }
    }

    /// <summary>
    /// The events named <paramref name="eventName"/> with a timestamp in [<paramref name="start"/>, <paramref name="end"/>),
    /// of one customer, or of every customer of the tenant when <paramref name="externalCustomerId"/> is null.
    /// Order: the customer's log position; tenant-wide, the rank by (ingested_at, customer, position).
    /// </summary>
    public async Task<List<UsageRow>> ReadUsageAsync(
        string tenantId, string? externalCustomerId, string eventName, DateTime start, DateTime end, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(externalCustomerId is null
            ? """
              SELECT event_time, row_number() OVER (ORDER BY ingested_at, external_customer_id, customer_seq), properties::text FROM events
              WHERE tenant_id = @tenant AND event_name = @name AND event_time >= @start AND event_time < @end
              """
            : """
              SELECT event_time, customer_seq, properties::text FROM events
              WHERE tenant_id = @tenant AND external_customer_id = @customer AND event_name = @name AND event_time >= @start AND event_time < @end
              """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId ?? ""));
        command.Parameters.Add(new NpgsqlParameter<string>("name", eventName));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("start", NpgsqlDbType.TimestampTz) { TypedValue = start });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("end", NpgsqlDbType.TimestampTz) { TypedValue = end });
        var rows = new List<UsageRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new UsageRow(reader.GetFieldValue<DateTime>(0), reader.GetInt64(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>The customer's events (any name) with a timestamp at or after <paramref name="from"/>.</summary>
    public async IAsyncEnumerable<LoggedEvent> ReadSinceAsync(
        string tenantId, string externalCustomerId, DateTime from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT customer_seq, event_id, event_name, event_time, properties::text, fingerprint FROM events
            WHERE tenant_id = @tenant AND external_customer_id = @customer AND event_time >= @from
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("from", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(from, DateTimeKind.Utc) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new LoggedEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(3), DateTimeKind.Utc),
                reader.GetString(4),
                reader.GetFieldValue<byte[]>(5));
        }
    }

    private const string StoredColumns = "external_customer_id, customer_seq, event_id, event_name, customer_id, source, event_time, properties::text, ingested_at";

    /// <summary>
    /// The tenant's events matching <paramref name="filter"/>, in <paramref name="order"/>, at most <paramref name="limit"/>
    /// after skipping <paramref name="offset"/>, from <paramref name="position"/> on (or from the start). A backward position
    /// reads the rows nearest before its key; they are still returned in listing order.
    /// </summary>
    public async Task<List<StoredEvent>> ListAsync(
        string tenantId, EventListFilter filter, EventListOrder order, EventListPosition? position, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand();
        var where = Where(command, tenantId, filter);
        var columns = order.ByName ? "event_name, event_time, event_id, external_customer_id" : "event_time, event_id, external_customer_id";
        var ascending = order.Ascending != (position?.Backward ?? false);
        if (position is { Key: var key })
        {
            where.Add(order.ByName
                ? $"({columns}) {(ascending ? ">" : "<")} (@key_name, @key_time, @key_id, @key_customer)"
                : $"({columns}) {(ascending ? ">" : "<")} (@key_time, @key_id, @key_customer)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("key_time", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(key.Timestamp, DateTimeKind.Utc) });
            command.Parameters.Add(new NpgsqlParameter<string>("key_id", key.EventId));
            command.Parameters.Add(new NpgsqlParameter<string>("key_customer", key.ExternalCustomerId));
            command.Parameters.Add(new NpgsqlParameter<string>("key_name", key.EventName));
        }

        var direction = ascending ? "ASC" : "DESC";
        command.CommandText = $"""
            SELECT {StoredColumns} FROM events WHERE {string.Join(" AND ", where)}
            ORDER BY {string.Join(", ", columns.Split(", ").Select(c => $"{c} {direction}"))} LIMIT @limit OFFSET @offset
            """;
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<int>("offset", offset));
        var events = await ReadStoredAsync(command, cancellationToken);
        if (position is { Backward: true })
        {
            events.Reverse();
        }

        return events;
    }

    /// <summary>How many of the tenant's events match <paramref name="filter"/>.</summary>
    public async Task<long> CountAsync(string tenantId, EventListFilter filter, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand();
        var where = Where(command, tenantId, filter);
        command.CommandText = $"SELECT count(*) FROM events WHERE {string.Join(" AND ", where)}";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static List<string> Where(NpgsqlCommand command, string tenantId, EventListFilter filter)
    {
        var where = new List<string> { "tenant_id = @tenant" };
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        void Text(string column, string name, string? value)
        {
            if (value is not null)
            {
                where.Add($"{column} = @{name}");
                command.Parameters.Add(new NpgsqlParameter<string>(name, value));
            }
        }

        void Time(string condition, string name, DateTime? value)
        {
            if (value is { } time)
            {
                where.Add(condition);
                command.Parameters.Add(new NpgsqlParameter<DateTime>(name, NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(time, DateTimeKind.Utc) });
            }
        }

        Text("external_customer_id", "customer", filter.ExternalCustomerId);
        Text("event_name", "name", filter.EventName);
        Text("event_id", "event_id", filter.EventId);
        Text("source", "source", filter.Source);
        Time("event_time >= @start", "start", filter.Start);
        Time("event_time < @end", "end", filter.End);
        var index = 0;
        foreach (var match in filter.Properties ?? [])
        {
            where.Add($"properties ->> @property_key{index} = ANY(@property_values{index})");
            command.Parameters.Add(new NpgsqlParameter<string>($"property_key{index}", match.Key));
            command.Parameters.Add(new NpgsqlParameter<string[]>($"property_values{index}", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. match.Values] });
            index++;
        }

        return where;
    }

    /// <summary>The tenant's events with this id (one per customer that used it), or only the given customer's.</summary>
    public async Task<List<StoredEvent>> LookupAsync(string tenantId, string eventId, string? externalCustomerId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            $"SELECT {StoredColumns} FROM events WHERE tenant_id = @tenant AND event_id = @id AND (@customer::text IS NULL OR external_customer_id = @customer) ORDER BY external_customer_id LIMIT 20");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("id", eventId));
        command.Parameters.Add(new NpgsqlParameter("customer", NpgsqlDbType.Text) { Value = (object?)externalCustomerId ?? DBNull.Value });
        return await ReadStoredAsync(command, cancellationToken);
    }

    private static async Task<List<StoredEvent>> ReadStoredAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new StoredEvent(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(6), DateTimeKind.Utc),
                reader.GetString(7),
                DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(8), DateTimeKind.Utc)));
        }

        return events;
    }
}
