using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>
/// The first use of an <c>Idempotency-Key</c>: the hash of the request it came with, and when. A key older than
/// the retention counts as unused.
/// </summary>
public sealed record IdempotencyClaim(byte[] RequestHash, DateTimeOffset FirstSeen);

/// <summary>The <c>idempotency_keys</c> table: one row per (tenant, key), claimed by the first request that names it.</summary>
public sealed class IdempotencyKeys(FlexpriceDatabase database)
{
    // Insert, or take over a row past its retention, or (already claimed) read the row. A row another
    // transaction is inserting right now is waited for by ON CONFLICT; the statement's own snapshot may then
    // not show it to the SELECT, which the caller handles by asking again.
    private const string ClaimSql = """
        WITH claimed AS (
            INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, first_seen)
            VALUES (@tenant, @key, @hash, @now)
            ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
                SET request_hash = EXCLUDED.request_hash, first_seen = EXCLUDED.first_seen
                WHERE idempotency_keys.first_seen < @expired
            RETURNING request_hash, first_seen
        )
        SELECT request_hash, first_seen FROM claimed
        UNION ALL
        SELECT request_hash, first_seen FROM idempotency_keys
        WHERE tenant_id = @tenant AND idempotency_key = @key AND NOT EXISTS (SELECT 1 FROM claimed)
        LIMIT 1
        """;

    /// <summary>
    /// Claims the key for the request with <paramref name="requestHash"/>, or returns the claim of the request
    /// that first used it (within <paramref name="retention"/>).
    /// </summary>
    public async Task<IdempotencyClaim> ClaimAsync(
        string tenantId, string key, byte[] requestHash, DateTimeOffset now, TimeSpan retention, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var command = database.DataSource.CreateCommand(ClaimSql);
            command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
            command.Parameters.Add(new NpgsqlParameter<string>("key", key));
            command.Parameters.Add(new NpgsqlParameter<byte[]>("hash", requestHash));
            command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter<DateTime>("expired", NpgsqlDbType.TimestampTz) { TypedValue = (now - retention).UtcDateTime });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new IdempotencyClaim(reader.GetFieldValue<byte[]>(0), new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero));
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"Idempotency key of tenant {tenantId} could be neither claimed nor read");
            }
        }
    }

    /// <summary>Forgets the keys first used before <paramref name="before"/>; returns how many.</summary>
    public async Task<int> ForgetAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("DELETE FROM idempotency_keys WHERE first_seen < @before");
        command.Parameters.Add(new NpgsqlParameter<DateTime>("before", NpgsqlDbType.TimestampTz) { TypedValue = before.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
