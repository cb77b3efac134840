using Flexprice.Grains;
using Npgsql;

namespace Flexprice.Tests.Infrastructure;

/// <summary>
/// Writes into the event log as another writer of a customer would (another activation, while a cluster's membership
/// settles): the customer's head moves to the row's position, the row goes into <c>events</c> and its key into
/// <c>event_ids</c>. Inside a transaction left open, the head stays locked, and the customer's own next append waits
/// for the commit (and then finds the head moved) or the rollback (and then goes through).
/// </summary>
public static class LogRows
{
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string tenant, string customer, long seq, IngestEvent e)
    {
        // Made in a session of its own: attaching a partition inside the caller's open transaction would hold a lock on events.
        await TestDatabase.ScalarAsync<string[]>("SELECT events_ensure_partitions(ARRAY[@time])", ("time", e.Timestamp));
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO event_log_heads (tenant_id, external_customer_id, last_seq) VALUES (@t, @c, @seq)
            ON CONFLICT (tenant_id, external_customer_id) DO UPDATE SET last_seq = greatest(event_log_heads.last_seq, EXCLUDED.last_seq);
            INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
            VALUES (@t, @e, @c, @seq, @time, @fingerprint);
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
            VALUES (@t, @c, @seq, @e, @name, @source, @time, @properties::json, now());
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("c", customer);
        command.Parameters.AddWithValue("seq", seq);
        command.Parameters.AddWithValue("e", e.EventId);
        command.Parameters.AddWithValue("name", e.EventName);
        command.Parameters.AddWithValue("source", (object?)e.Source ?? DBNull.Value);
        command.Parameters.AddWithValue("time", e.Timestamp);
        command.Parameters.AddWithValue("properties", e.PropertiesJson);
        command.Parameters.AddWithValue("fingerprint", e.Fingerprint);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The same, committed on a connection of its own.</summary>
    public static async Task InsertAsync(string tenant, string customer, long seq, IngestEvent e)
    {
        await using var connection = new NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        await InsertAsync(connection, null, tenant, customer, seq, e);
    }
}
