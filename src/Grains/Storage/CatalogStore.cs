using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

public sealed record TenantRecord(string Id, string Name, DateTime CreatedAt);

/// <param name="EventsPerMinute">The key's own limit for <c>POST /v1/events</c>; null: the configured default.</param>
/// <param name="BulkPerMinute">The key's own limit for <c>POST /v1/events/bulk</c>; null: the configured default.</param>
public sealed record ApiKeyRecord(
    string Id, string TenantId, string Name, string DisplayId, bool IsAdmin, DateTime CreatedAt, DateTime? RevokedAt,
    int? EventsPerMinute = null, int? BulkPerMinute = null);

/// <summary>A key's own rate limits; null: the configured default.</summary>
public sealed record RateLimitOverrides(int? EventsPerMinute, int? BulkPerMinute)
{
    public static readonly RateLimitOverrides None = new(null, null);
}

/// <summary>A live key as the key grain needs it: who it is and its own rate limits.</summary>
public sealed record LiveApiKey(string KeyId, string TenantId, bool IsAdmin, RateLimitOverrides Limits);

/// <summary>A new API key: the raw key exists only here, to be shown once.</summary>
public sealed record IssuedApiKey(ApiKeyRecord Key, string RawKey);

public sealed record CustomerRecord(string Id, string TenantId, string ExternalId, string Name, string? Email, string? MetadataJson, DateTime CreatedAt);

/// <summary>Tenants, API keys, customers and features: small tables, read through caches in grains.</summary>
public sealed class CatalogStore(FlexpriceDatabase database, TimeProvider time)
{
    public const string DefaultTenantId = "tenant_default";

    private const string CustomerColumns = "id, tenant_id, external_id, name, email, metadata::text, created_at";
    private const string KeyColumns = "id, tenant_id, name, display_id, is_admin, created_at, revoked_at, events_per_minute, bulk_per_minute";

    /// <summary>Ensures the default tenant exists and holds <paramref name="rawKey"/> as an admin key (stored hashed).</summary>
    public async Task EnsureBootstrapKeyAsync(string rawKey, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(Command(
            "INSERT INTO tenants (id, name, created_at) VALUES (@id, 'default', @now) ON CONFLICT (id) DO NOTHING",
            ("id", DefaultTenantId), ("now", now)));
        batch.BatchCommands.Add(Command(
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
        var tenant = new TenantRecord(Ids.New("tenant", time), name, Now());
        var (key, raw) = NewKey(tenant.Id, "admin", isAdmin: true);
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(Command("INSERT INTO tenants (id, name, created_at) VALUES (@id, @name, @now)", ("id", tenant.Id), ("name", name), ("now", tenant.CreatedAt)));
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
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = Now() });
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
            ? new LiveApiKey(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), new RateLimitOverrides(NullableInt(reader, 3), NullableInt(reader, 4)))
            : null;
    }

    /// <summary>Creates the customer; null when the tenant already has one with this external id.</summary>
    public async Task<CustomerRecord?> CreateCustomerAsync(
        string tenantId, string externalId, string name, string? email, string? metadataJson, CancellationToken cancellationToken)
    {
        var customer = new CustomerRecord(Ids.New("cust", time), tenantId, externalId, name, email, metadataJson, Now());
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO customers (id, tenant_id, external_id, name, email, metadata, created_at)
            VALUES (@id, @tenant, @external_id, @name, @email, @metadata::jsonb, @now)
            ON CONFLICT (tenant_id, external_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("id", customer.Id));
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("external_id", externalId));
        command.Parameters.Add(new NpgsqlParameter<string>("name", name));
        command.Parameters.Add(new NpgsqlParameter("email", NpgsqlDbType.Text) { Value = (object?)email ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Text) { Value = (object?)metadataJson ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = customer.CreatedAt });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? customer : null;
    }

    public Task<CustomerRecord?> GetCustomerAsync(string tenantId, string id, CancellationToken cancellationToken) =>
        SingleCustomerAsync("id = @value", tenantId, id, cancellationToken);

    public Task<CustomerRecord?> FindCustomerByExternalIdAsync(string tenantId, string externalId, CancellationToken cancellationToken) =>
        SingleCustomerAsync("external_id = @value", tenantId, externalId, cancellationToken);

    public async Task<(ImmutableArray<CustomerRecord> Items, long Total)> ListCustomersAsync(
        string tenantId, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            SELECT {CustomerColumns}, count(*) OVER () FROM customers WHERE tenant_id = @tenant
            ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<int>("offset", offset));
        var items = ImmutableArray.CreateBuilder<CustomerRecord>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadCustomer(reader));
            total = reader.GetInt64(7);
        }

        if (items.Count == 0 && offset > 0)
        {
            await reader.DisposeAsync();
            await using var count = database.DataSource.CreateCommand("SELECT count(*) FROM customers WHERE tenant_id = @tenant");
            count.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        return (items.ToImmutable(), total);
    }

    public async Task<ImmutableArray<FeatureDefinition>> ListFeaturesAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, name, type, meter_id, event_name, aggregation_type, aggregation_field, reset_usage, created_at,
                   aggregation_multiplier, bucket_size, group_by, filters::text
            FROM features WHERE tenant_id = @tenant ORDER BY created_at, id
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        var features = ImmutableArray.CreateBuilder<FeatureDefinition>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            AggregationTypeNames.TryParse(reader.GetString(5), out var aggregation);
            features.Add(new FeatureDefinition(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                aggregation,
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetString(7),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero),
                reader.IsDBNull(9) ? null : reader.GetDecimal(9),
                reader.IsDBNull(10) || !WindowSizeNames.TryParse(reader.GetString(10), out var bucket) ? null : bucket,
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? [] : FiltersFromJson(reader.GetString(12))));
        }

        return features.ToImmutable();
    }

    public async Task<FeatureDefinition> CreateFeatureAsync(string tenantId, NewFeature feature, CancellationToken cancellationToken)
    {
        var created = new FeatureDefinition(
            Ids.New("feat", time), feature.Name, "metered", Ids.New("meter", time), feature.EventName,
            feature.Aggregation, feature.Aggregation == AggregationType.Count ? null : feature.Field, feature.ResetUsage, new DateTimeOffset(Now(), TimeSpan.Zero),
            feature.Multiplier, feature.BucketSize, feature.GroupBy, feature.Filters.IsDefault ? [] : feature.Filters);
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO features (id, tenant_id, name, type, meter_id, event_name, aggregation_type, aggregation_field, reset_usage, created_at,
                                  aggregation_multiplier, bucket_size, group_by, filters)
            VALUES (@id, @tenant, @name, @type, @meter_id, @event_name, @aggregation, @field, @reset_usage, @now,
                    @multiplier, @bucket_size, @group_by, @filters::jsonb)
            """);
        command.Parameters.Add(new NpgsqlParameter("multiplier", NpgsqlDbType.Numeric) { Value = (object?)created.Multiplier ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("bucket_size", NpgsqlDbType.Text) { Value = (object?)created.BucketSize?.ToWireName() ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("group_by", NpgsqlDbType.Text) { Value = (object?)created.GroupBy ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("filters", NpgsqlDbType.Text)
        {
            Value = created.MeterFilters.IsEmpty ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(created.MeterFilters.Select(f => new { key = f.Key, values = f.Values })),
        });
        command.Parameters.Add(new NpgsqlParameter<string>("id", created.Id));
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("name", created.Name));
        command.Parameters.Add(new NpgsqlParameter<string>("type", created.Type));
        command.Parameters.Add(new NpgsqlParameter<string>("meter_id", created.MeterId));
        command.Parameters.Add(new NpgsqlParameter<string>("event_name", created.EventName));
        command.Parameters.Add(new NpgsqlParameter<string>("aggregation", created.Aggregation.ToWireName()));
        command.Parameters.Add(new NpgsqlParameter("field", NpgsqlDbType.Text) { Value = (object?)created.Field ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<string>("reset_usage", created.ResetUsage));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = created.CreatedAt.UtcDateTime });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return created;
    }

    private static ImmutableArray<UsageFilter> FiltersFromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(f => new UsageFilter(
            f.GetProperty("key").GetString()!, [.. f.GetProperty("values").EnumerateArray().Select(v => v.GetString()!)]))];
    }

    private async Task<CustomerRecord?> SingleCustomerAsync(string predicate, string tenantId, string value, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {CustomerColumns} FROM customers WHERE tenant_id = @tenant AND {predicate}");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("value", value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadCustomer(reader) : null;
    }

    /// <summary>Now, cut to the microseconds PostgreSQL keeps, so a created record reads back exactly as it was answered.</summary>
    private DateTime Now()
    {
        var utc = time.GetUtcNow().UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);
    }

    private (ApiKeyRecord Key, string Raw) NewKey(string tenantId, string name, bool isAdmin)
    {
        var raw = Ids.NewApiKey();
        return (new ApiKeyRecord(Ids.New("key", time), tenantId, name, Ids.DisplayId(raw), isAdmin, Now(), null), raw);
    }

    private static NpgsqlBatchCommand InsertKey(ApiKeyRecord key, string raw)
    {
        var command = Command(
            """
            INSERT INTO api_keys (id, tenant_id, name, key_hash, display_id, is_admin, created_at, events_per_minute, bulk_per_minute)
            VALUES (@id, @tenant, @name, @hash, @display, @admin, @now, @events, @bulk)
            """,
            ("id", key.Id), ("tenant", key.TenantId), ("name", key.Name), ("hash", Ids.HashApiKey(raw)), ("display", key.DisplayId), ("admin", key.IsAdmin), ("now", key.CreatedAt));
        command.Parameters.Add(new NpgsqlParameter("events", NpgsqlDbType.Integer) { Value = (object?)key.EventsPerMinute ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("bulk", NpgsqlDbType.Integer) { Value = (object?)key.BulkPerMinute ?? DBNull.Value });
        return command;
    }

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(value is DateTime dateTime
                ? new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = dateTime }
                : new NpgsqlParameter(name, value));
        }

        return command;
    }

    private static ApiKeyRecord ReadKey(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4),
        reader.GetFieldValue<DateTime>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTime>(6), NullableInt(reader, 7), NullableInt(reader, 8));

    private static CustomerRecord ReadCustomer(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTime>(6));
}
