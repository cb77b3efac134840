using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>The event log as the API reads it: events for usage computed from the log, the event debugger's listing and lookup.</summary>
public sealed class EventQueries(FlexpriceDatabase database, IOptions<StorageReadOptions> readOptions)
{
    private readonly StorageReadOptions _options = readOptions.Value;
    private readonly SemaphoreSlim _turns = new(readOptions.Value.Concurrency);

    private const long RetainedFromTtlMs = 60_000;
    private volatile RetainedFromRead? _retainedFrom;

    /// <summary>
    /// The time before which retention dropped every event (null while nothing was dropped): a usage computed from the log
    /// over a range that starts earlier counts none of the dropped events. Read at most once a minute.
    /// </summary>
    public async Task<DateTime?> RetainedFromAsync(CancellationToken cancellationToken)
    {
        if (_retainedFrom is { } cached && Environment.TickCount64 - cached.ReadAt < RetainedFromTtlMs)
        {
            return cached.Value;
        }

        await using var command = database.DataSource.CreateCommand("SELECT retained_from FROM event_log_settings");
        var value = await command.ExecuteScalarAsync(cancellationToken) is DateTime time ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : (DateTime?)null;
        _retainedFrom = new RetainedFromRead(value, Environment.TickCount64);
        return value;
    }

    private sealed record RetainedFromRead(DateTime? Value, long ReadAt);

    /// <summary>
    /// The events named <paramref name="eventName"/> with a timestamp in [<paramref name="start"/>, <paramref name="end"/>),
    /// of one customer, or of every customer of the tenant when <paramref name="externalCustomerId"/> is null, streamed in
    /// time order (for a fold that holds one bucket at a time). <see cref="UsageRow.Order"/> breaks LATEST's ties: the
    /// customer's log position; tenant-wide, the rank by (ingested_at, customer, position).
    /// </summary>
    /// <param name="ranked">Tenant-wide, whether <see cref="UsageRow.Order"/> is needed (LATEST's ties): ranking costs PostgreSQL a sort of every row, so other aggregations get 0.</param>
    public async IAsyncEnumerable<UsageRow> StreamUsageAsync(
        string tenantId, string? externalCustomerId, string eventName, DateTime start, DateTime end, bool ranked, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var turn = await TurnAsync(cancellationToken);
        await using var command = database.Reads.CreateCommand(externalCustomerId is not null ? CustomerUsageSql : ranked ? RankedTenantUsageSql : TenantUsageSql);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId ?? ""));
        command.Parameters.Add(new NpgsqlParameter<string>("name", eventName));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("start", NpgsqlDbType.TimestampTz) { TypedValue = start });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("end", NpgsqlDbType.TimestampTz) { TypedValue = end });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new UsageRow(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(0), DateTimeKind.Utc), reader.GetInt64(1), reader.GetString(2));
        }
    }

    private const string RankedTenantUsageSql = """
        SELECT event_time, ord, properties FROM (
            SELECT event_time, row_number() OVER (ORDER BY ingested_at, external_customer_id, customer_seq) AS ord, properties::text AS properties FROM events
            WHERE tenant_id = @tenant AND event_name = @name AND event_time >= @start AND event_time < @end) AS ranked
        ORDER BY event_time
        """;

    private const string TenantUsageSql = """
        SELECT event_time, 0::bigint, properties::text FROM events
        WHERE tenant_id = @tenant AND event_name = @name AND event_time >= @start AND event_time < @end
        ORDER BY event_time
        """;

    private const string CustomerUsageSql = """
        SELECT event_time, customer_seq, properties::text FROM events
        WHERE tenant_id = @tenant AND external_customer_id = @customer AND event_name = @name AND event_time >= @start AND event_time < @end
        ORDER BY event_time
        """;

    /// <summary>
    /// A turn among the node's log queries (<see cref="StorageReadOptions.Concurrency"/> at once): heavy reads queue
    /// here rather than crowd PostgreSQL's cores; past <see cref="StorageReadOptions.QueueTimeout"/> the request is
    /// answered 503 (a passing overload).
    /// </summary>
    private async Task<Turn> TurnAsync(CancellationToken cancellationToken)
    {
        if (!await _turns.WaitAsync(_options.QueueTimeout, cancellationToken))
        {
            throw new TimeoutException($"No turn among the node's {_options.Concurrency} log queries within {_options.QueueTimeout.TotalSeconds:0.#} s.");
        }

        return new Turn(_turns);
    }

    private readonly struct Turn(SemaphoreSlim turns) : IDisposable
    {
        public void Dispose() => turns.Release();
    }

    // The customer's own id is the customers table's (the log does not repeat it on every row).
    private const string StoredColumns = """
        e.external_customer_id, e.customer_seq, e.event_id, e.event_name,
        (SELECT c.id FROM customers c WHERE c.tenant_id = e.tenant_id AND c.external_id = e.external_customer_id),
        e.source, e.event_time, e.properties::text, e.ingested_at
        """;

    /// <summary>
    /// The tenant's events matching <paramref name="filter"/>, in <paramref name="order"/>, at most <paramref name="limit"/>
    /// after skipping <paramref name="offset"/>, from <paramref name="position"/> on (or from the start). A backward position
    /// reads the rows nearest before its key; they are still returned in listing order.
    /// </summary>
    public async Task<List<StoredEvent>> ListAsync(
        string tenantId, EventListFilter filter, EventListOrder order, EventListPosition? position, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = database.Reads.CreateCommand();
        var where = Where(command, tenantId, filter);
        var columns = order.ByName ? "e.event_name, e.event_time, e.event_id, e.external_customer_id" : "e.event_time, e.event_id, e.external_customer_id";
        var ascending = order.Ascending != (position?.Backward ?? false);
        if (position is { Key: var key })
        {
            // By time, the key's own time bounds the scan too, so that only the partitions from it on are read.
            where.Add(order.ByName
                ? $"({columns}) {(ascending ? ">" : "<")} (@key_name, @key_time, @key_id, @key_customer)"
                : $"({columns}) {(ascending ? ">" : "<")} (@key_time, @key_id, @key_customer) AND e.event_time {(ascending ? ">=" : "<=")} @key_time");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("key_time", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(key.Timestamp, DateTimeKind.Utc) });
            command.Parameters.Add(new NpgsqlParameter<string>("key_id", key.EventId));
            command.Parameters.Add(new NpgsqlParameter<string>("key_customer", key.ExternalCustomerId));
            command.Parameters.Add(new NpgsqlParameter<string>("key_name", key.EventName));
        }

        var direction = ascending ? "ASC" : "DESC";
        command.CommandText = $"""
            SELECT {StoredColumns} FROM events e WHERE {string.Join(" AND ", where)}
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

    /// <summary>How many of the tenant's events match <paramref name="filter"/>, counting at most <paramref name="atMost"/>.</summary>
    public async Task<long> CountAsync(string tenantId, EventListFilter filter, int atMost, CancellationToken cancellationToken)
    {
        await using var command = database.Reads.CreateCommand();
        var where = Where(command, tenantId, filter);
        command.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM events e WHERE {string.Join(" AND ", where)} LIMIT @at_most) AS matching";
        command.Parameters.Add(new NpgsqlParameter<int>("at_most", atMost));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static List<string> Where(NpgsqlCommand command, string tenantId, EventListFilter filter)
    {
        var where = new List<string> { "e.tenant_id = @tenant" };
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        void Text(string column, string name, string? value)
        {
            if (value is not null)
            {
                where.Add($"e.{column} = @{name}");
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
        Time("e.event_time >= @start", "start", filter.Start);
        Time("e.event_time < @end", "end", filter.End);
        if (filter.EventId is not null)
        {
            // Found through event_ids (the log has no index by id): the customers and positions that hold it.
            where.Add("(e.external_customer_id, e.customer_seq, e.event_time) IN (SELECT k.external_customer_id, k.customer_seq, k.event_time FROM event_ids k WHERE k.tenant_id = @tenant AND k.event_id = @event_id)");
        }

        var index = 0;
        foreach (var match in filter.Properties ?? [])
        {
            where.Add($"e.properties ->> @property_key{index} = ANY(@property_values{index})");
            command.Parameters.Add(new NpgsqlParameter<string>($"property_key{index}", match.Key));
            command.Parameters.Add(new NpgsqlParameter<string[]>($"property_values{index}", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. match.Values] });
            index++;
        }

        return where;
    }

    /// <summary>The tenant's events with this id (one per customer that used it), or only the given customer's.</summary>
    public async Task<List<StoredEvent>> LookupAsync(string tenantId, string eventId, string? externalCustomerId, CancellationToken cancellationToken)
    {
        // event_ids names the customers, positions and partitions (event times) that hold the id.
        await using var command = database.Reads.CreateCommand($"""
            SELECT {StoredColumns}
            FROM (SELECT k.external_customer_id, k.customer_seq, k.event_time FROM event_ids k
                  WHERE k.tenant_id = @tenant AND k.event_id = @id AND (@customer::text IS NULL OR k.external_customer_id = @customer)
                  ORDER BY k.external_customer_id LIMIT 20) k
            CROSS JOIN LATERAL (SELECT * FROM events e
                  WHERE e.tenant_id = @tenant AND e.external_customer_id = k.external_customer_id AND e.customer_seq = k.customer_seq AND e.event_time = k.event_time) e
            ORDER BY e.external_customer_id
            """);
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
