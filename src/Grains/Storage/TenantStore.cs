using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>Tenants and their API keys (stored as the SHA-256 of the raw key): small tables, read through the key grains.</summary>
public sealed class TenantStore(FlexpriceDatabase database, TimeProvider time)
{
    public const string DefaultTenantId = "tenant_default";

    private const string KeyColumns = "id, tenant_id, name, display_id, is_admin, created_at, revoked_at, events_per_minute, bulk_per_minute";

    /// <summary>Ensures the default tenant exists and holds <paramref name="rawKey"/> as an admin key (stored hashed).</summary>
    public async Task EnsureBootstrapKeyAsync(string rawKey, CancellationToken cancellationToken)
    {
        var now = StoreSql.Now(time);
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(StoreSql.Command(
            "INSERT INTO tenants (id, name, created_at) VALUES (@id, 'default', @now) ON CONFLICT (id) DO NOTHING",
            ("id", DefaultTenantId), ("now", now)));
        batch.BatchCommands.Add(StoreSql.Command(
            """
            INSERT INTO api_keys (id, tenant_id, name, key_hash, display_id, is_admin, created_at)
            VALUES (@id, @tenant, 'bootstrap', @hash, @display, true, @now)
            ON CONFLICT (key_hash) DO NOTHING
            """,
            ("id", Ids.New("key", time)), ("tenant", DefaultTenantId), ("hash", Ids.HashApiKey(rawKey)), ("display", Ids.DisplayId(rawKey)), ("now", now)));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(TenantRecord Tenant, IssuedApiKey Key)> CreateTenantAsync(string name, CancellationToken cancellationToken)
    {
        var tenant = new TenantRecord(Ids.New("tenant", time), name, StoreSql.Now(time));
        var (key, raw) = NewKey(tenant.Id, "admin", isAdmin: true);
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(StoreSql.Command("INSERT INTO tenants (id, name, created_at) VALUES (@id, @name, @now)", ("id", tenant.Id), ("name", name), ("now", tenant.CreatedAt)));
        batch.BatchCommands.Add(InsertKey(key, raw));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return (tenant, new IssuedApiKey(key, raw));
    }

    public Task<IssuedApiKey> CreateApiKeyAsync(string tenantId, string name, CancellationToken cancellationToken) =>
        CreateApiKeyAsync(tenantId, name, RateLimitOverrides.None, cancellationToken);

    public async Task<IssuedApiKey> CreateApiKeyAsync(string tenantId, string name, RateLimitOverrides limits, CancellationToken cancellationToken)
    {
        var (key, raw) = NewKey(tenantId, name, isAdmin: false);
        key = key with { EventsPerMinute = limits.EventsPerMinute, BulkPerMinute = limits.BulkPerMinute };
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(InsertKey(key, raw));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedApiKey(key, raw);
    }

    public async Task<ImmutableArray<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @tenant ORDER BY created_at, id");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        var keys = ImmutableArray.CreateBuilder<ApiKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ReadKey(reader));
        }

        return keys.ToImmutable();
    }

    /// <summary>Revokes the tenant's key; returns its hash (the key grain's id), or null when the tenant has no such key.</summary>
    public async Task<string?> RevokeApiKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, @now) WHERE tenant_id = @tenant AND id = @id RETURNING key_hash");
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = StoreSql.Now(time) });
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("id", keyId));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Sets the tenant's key's own rate limits (a null value: back to the default); returns the key and its
    /// hash (the key grain's id), or null when the tenant has no such key.
    /// </summary>
    public async Task<(ApiKeyRecord Key, string KeyHash)?> SetApiKeyRateLimitsAsync(
        string tenantId, string keyId, RateLimitOverrides limits, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            UPDATE api_keys SET events_per_minute = @events, bulk_per_minute = @bulk
            WHERE tenant_id = @tenant AND id = @id RETURNING {KeyColumns}, key_hash
            """);
        command.Parameters.Add(new NpgsqlParameter("events", NpgsqlDbType.Integer) { Value = (object?)limits.EventsPerMinute ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("bulk", NpgsqlDbType.Integer) { Value = (object?)limits.BulkPerMinute ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("id", keyId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (ReadKey(reader), reader.GetString(9)) : null;
    }

    /// <summary>The tenant's key, or null.</summary>
    public async Task<ApiKeyRecord?> GetApiKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @tenant AND id = @id");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("id", keyId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadKey(reader) : null;
    }

    /// <summary>The live (not revoked) key with this hash.</summary>
    public async Task<LiveApiKey?> FindLiveApiKeyAsync(string keyHash, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT id, tenant_id, is_admin, events_per_minute, bulk_per_minute FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<string>("hash", keyHash));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LiveApiKey(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), new RateLimitOverrides(StoreSql.NullableInt(reader, 3), StoreSql.NullableInt(reader, 4)))
            : null;
    }

    private (ApiKeyRecord Key, string Raw) NewKey(string tenantId, string name, bool isAdmin)
    {
        var raw = Ids.NewApiKey();
        return (new ApiKeyRecord(Ids.New("key", time), tenantId, name, Ids.DisplayId(raw), isAdmin, StoreSql.Now(time), null), raw);
    }

    private static NpgsqlBatchCommand InsertKey(ApiKeyRecord key, string raw)
    {
        var command = StoreSql.Command(
            """
            INSERT INTO api_keys (id, tenant_id, name, key_hash, display_id, is_admin, created_at, events_per_minute, bulk_per_minute)
            VALUES (@id, @tenant, @name, @hash, @display, @admin, @now, @events, @bulk)
            """,
            ("id", key.Id), ("tenant", key.TenantId), ("name", key.Name), ("hash", Ids.HashApiKey(raw)), ("display", key.DisplayId), ("admin", key.IsAdmin), ("now", key.CreatedAt));
        command.Parameters.Add(new NpgsqlParameter("events", NpgsqlDbType.Integer) { Value = (object?)key.EventsPerMinute ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("bulk", NpgsqlDbType.Integer) { Value = (object?)key.BulkPerMinute ?? DBNull.Value });
        return command;
    }

    private static ApiKeyRecord ReadKey(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4),
        reader.GetFieldValue<DateTime>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTime>(6), StoreSql.NullableInt(reader, 7), StoreSql.NullableInt(reader, 8));
}
