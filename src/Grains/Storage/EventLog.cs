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

/// <summary>What to list: every criterion is optional. <see cref="Before"/>/<see cref="After"/> are keyset positions (exclusive).</summary>
public sealed record EventListFilter(
    string? ExternalCustomerId, string? EventName, string? EventId, string? Source, DateTime? Start, DateTime? End, EventListKey? Before, EventListKey? After);

/// <summary>A position in the newest-first listing: (timestamp, event id, customer), descending.</summary>
public sealed record EventListKey(DateTime Timestamp, string EventId, string ExternalCustomerId);

/// <summary>
/// What an append found: the ids it inserted with the log positions they got, the stored
/// fingerprints of ids that already existed, and the greatest log position among those (0 when none).
/// </summary>
public sealed record AppendResult(Dictionary<string, long> Inserted, Dictionary<string, byte[]> Existing, long LastExistingSeq);

/// <summary>
/// The append-only event log (table <c>events</c>), the truth that grain state is a projection of.
/// Its unique key (tenant, external customer id, event id) is the idempotency key, so the database
/// has the last word on duplicates; its primary key (tenant, external customer id, customer_seq)
/// orders each customer's log.
/// </summary>
public sealed class EventLog(FlexpriceDatabase database)
{
    // One statement, so one round trip and all-or-nothing: when any id is already stored with a
    // different fingerprint, nothing is inserted; otherwise the new ids are inserted and the
    // existing ones reported, with their fingerprints, as duplicates. Inserted rows take the
    // positions right after @after with no gaps, so every position up to a writer's last is
    // filled: a second writer that is behind always collides on the primary key (or, racing on
    // the same id, on the idempotency key) and fails, instead of slipping an event in behind.
    private const string AppendSql = """
        WITH input AS (
            SELECT * FROM unnest(@ids, @names, @times, @sources, @properties, @fingerprints) WITH ORDINALITY
                AS i(event_id, event_name, event_time, source, properties, fingerprint, ord)
        ), existing AS (
            SELECT e.event_id, e.fingerprint, e.customer_seq FROM events e
            WHERE e.tenant_id = @tenant AND e.external_customer_id = @customer AND e.event_id = ANY(@ids)
        ), fresh AS (
            SELECT i.*, @after + row_number() OVER (ORDER BY i.ord) AS customer_seq
            FROM input i
            WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.event_id = i.event_id)
              AND NOT EXISTS (SELECT 1 FROM existing x JOIN input j ON j.event_id = x.event_id WHERE x.fingerprint <> j.fingerprint)
        ), inserted AS (
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, customer_id,
                                source, event_time, properties, fingerprint, ingested_at)
            SELECT @tenant, @customer, f.customer_seq, f.event_id, f.event_name, @customer_id,
                   f.source, f.event_time, f.properties::json, f.fingerprint, @now
            FROM fresh f
            RETURNING event_id, customer_seq
        )
        SELECT true, event_id, NULL::bytea, customer_seq FROM inserted
        UNION ALL
        SELECT false, event_id, fingerprint, customer_seq FROM existing
        """;

    /// <summary>
    /// Appends the events (distinct ids) after log position <paramref name="afterSeq"/>. Throws a
    /// unique violation when another writer holds those positions or races on an id.
    /// </summary>
    public async Task<AppendResult> AppendAsync(
        string tenantId, string externalCustomerId, string customerId, IReadOnlyList<IngestEvent> events, long afterSeq, DateTime now, CancellationToken cancellationToken)
    {
        var count = events.Count;
        var ids = new string[count];
        var names = new string[count];
        var times = new DateTime[count];
        var sources = new string?[count];
        var properties = new string[count];
        var fingerprints = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            ids[i] = e.EventId;
            names[i] = e.EventName;
            times[i] = e.Timestamp;
            sources[i] = e.Source;
            properties[i] = e.PropertiesJson;
            fingerprints[i] = e.Fingerprint;
        }

        await using var command = database.DataSource.CreateCommand(AppendSql);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer_id", customerId));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<long>("after", afterSeq));
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = names });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = times });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = sources });
        command.Parameters.Add(new NpgsqlParameter<string[]>("properties", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = properties });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("fingerprints", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = fingerprints });

        var inserted = new Dictionary<string, long>(StringComparer.Ordinal);
        var existing = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long lastExistingSeq = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(1);
            if (reader.GetBoolean(0))
            {
                inserted[id] = reader.GetInt64(3);
            }
            else
            {
                existing[id] = reader.GetFieldValue<byte[]>(2);
                lastExistingSeq = Math.Max(lastExistingSeq, reader.GetInt64(3));
            }
        }

        return new AppendResult(inserted, existing, lastExistingSeq);
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
    /// The tenant's events matching <paramref name="filter"/>, newest first by (timestamp, event id, customer), at most
    /// <paramref name="limit"/>. With <see cref="EventListFilter.After"/> the page is the events just newer than it (still returned newest first).
    /// </summary>
    public async Task<List<StoredEvent>> ListAsync(string tenantId, EventListFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand();
        var where = Where(command, tenantId, filter);
        var key = filter.Before ?? filter.After;
        if (key is not null)
        {
            where.Add(filter.Before is not null
                ? "(event_time, event_id, external_customer_id) < (@key_time, @key_id, @key_customer)"
                : "(event_time, event_id, external_customer_id) > (@key_time, @key_id, @key_customer)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("key_time", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(key.Timestamp, DateTimeKind.Utc) });
            command.Parameters.Add(new NpgsqlParameter<string>("key_id", key.EventId));
            command.Parameters.Add(new NpgsqlParameter<string>("key_customer", key.ExternalCustomerId));
        }

        var order = filter.After is not null && filter.Before is null ? "ASC" : "DESC";
        command.CommandText = $"""
            SELECT {StoredColumns} FROM events WHERE {string.Join(" AND ", where)}
            ORDER BY event_time {order}, event_id {order}, external_customer_id {order} LIMIT @limit
            """;
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        var events = await ReadStoredAsync(command, cancellationToken);
        if (order == "ASC")
        {
            events.Reverse();
        }

        return events;
    }

    /// <summary>How many of the tenant's events match <paramref name="filter"/>'s criteria (its keyset positions aside).</summary>
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
