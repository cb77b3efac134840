using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>One customer's event log as its grain reads it: ids already stored, the log after a position (replay), recent events.</summary>
public sealed class CustomerEventLog(FlexpriceDatabase database)
{
    // A logged event and its fingerprint, which event_ids holds (one probe of its primary key per row:
    // replays are rare next to appends, which write the fingerprint once instead of twice).
    private const string Columns = """
        e.customer_seq, e.event_id, e.event_name, e.event_time, e.properties::text,
        (SELECT k.fingerprint FROM event_ids k WHERE k.tenant_id = e.tenant_id AND k.event_id = e.event_id AND k.external_customer_id = e.external_customer_id)
        """;

    /// <summary>The stored fingerprints of those of <paramref name="eventIds"/> already in the customer's log.</summary>
    public async Task<Dictionary<string, byte[]>> FindAsync(
        string tenantId, string externalCustomerId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT event_id, fingerprint FROM event_ids WHERE tenant_id = @tenant AND external_customer_id = @customer AND event_id = ANY(@ids)");
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
    public IAsyncEnumerable<LoggedEvent> ReadAsync(string tenantId, string externalCustomerId, long afterSeq, CancellationToken cancellationToken) =>
        ReadAsync(tenantId, externalCustomerId, afterSeq, int.MaxValue, cancellationToken);

    /// <summary>At most <paramref name="limit"/> events of the customer's log after position <paramref name="afterSeq"/>, in log order.</summary>
    public async IAsyncEnumerable<LoggedEvent> ReadAsync(
        string tenantId, string externalCustomerId, long afterSeq, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            SELECT {Columns} FROM events e
            WHERE e.tenant_id = @tenant AND e.external_customer_id = @customer AND e.customer_seq > @after
            ORDER BY e.customer_seq
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<long>("after", afterSeq));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
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

    /// <summary>The customer's events (any name) with a timestamp at or after <paramref name="from"/>.</summary>
    public async IAsyncEnumerable<LoggedEvent> ReadSinceAsync(
        string tenantId, string externalCustomerId, DateTime from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            SELECT {Columns} FROM events e
            WHERE e.tenant_id = @tenant AND e.external_customer_id = @customer AND e.event_time >= @from
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
}
