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

/// <param name="Address">Flexprice's address fields, as given; null when none was.</param>
public sealed record CustomerRecord(
    string Id, string TenantId, string ExternalId, string Name, string? Email, string? MetadataJson, DateTime CreatedAt, CustomerAddress? Address = null);

/// <summary>A customer's postal address as Flexprice holds it: every line optional, stored as given.</summary>
public sealed record CustomerAddress(string? Line1, string? Line2, string? City, string? State, string? PostalCode, string? Country)
{
    public static readonly CustomerAddress None = new(null, null, null, null, null, null);

    public bool IsEmpty => this == None;
}

/// <summary>A column a customer search sorts by, and the direction.</summary>
public sealed record CustomerSort(CustomerSortField Field, bool Descending);

public enum CustomerSortField
{
    CreatedAt,
    Name,
    ExternalId,
    Email,
}

/// <summary>
/// What a customer search asks, every criterion optional (null: any). A list matches any of its values; the
/// criteria are ANDed. <see cref="CreatedFrom"/>/<see cref="CreatedTo"/>: [from, to) on the creation time.
/// Sorted by <see cref="Sort"/> in turn, then by id.
/// </summary>
public sealed record CustomerSearch(
    IReadOnlyList<string>? Ids,
    IReadOnlyList<string>? ExternalIds,
    string? Email,
    DateTime? CreatedFrom,
    DateTime? CreatedTo,
    IReadOnlyList<CustomerSort> Sort,
    int Limit,
    int Offset)
{
    /// <summary>Every customer, newest first.</summary>
    public static CustomerSearch All(int limit, int offset) => new(null, null, null, null, null, [new CustomerSort(CustomerSortField.CreatedAt, true)], limit, offset);
}

/// <summary>Tenants, API keys, customers and features: small tables, read through caches in grains.</summary>
public sealed class CatalogStore(FlexpriceDatabase database, TimeProvider time)
{
    public const string DefaultTenantId = "tenant_default";

    private const string CustomerColumns =
        "id, tenant_id, external_id, name, email, metadata::text, created_at, address_line1, address_line2, address_city, address_state, address_postal_code, address_country";
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
        string tenantId, string externalId, string name, string? email, string? metadataJson, CancellationToken cancellationToken, CustomerAddress? address = null)
    {
        address ??= CustomerAddress.None;
        var customer = new CustomerRecord(Ids.New("cust", time), tenantId, externalId, name, email, metadataJson, Now(), address.IsEmpty ? null : address);
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO customers (id, tenant_id, external_id, name, email, metadata, created_at,
                                   address_line1, address_line2, address_city, address_state, address_postal_code, address_country)
            VALUES (@id, @tenant, @external_id, @name, @email, @metadata::jsonb, @now,
                    @line1, @line2, @city, @state, @postal_code, @country)
            ON CONFLICT (tenant_id, external_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("id", customer.Id));
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("external_id", externalId));
        command.Parameters.Add(new NpgsqlParameter<string>("name", name));
        command.Parameters.Add(new NpgsqlParameter("email", NpgsqlDbType.Text) { Value = (object?)email ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Text) { Value = (object?)metadataJson ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = customer.CreatedAt });
        foreach (var (parameter, value) in new[]
        {
            ("line1", address.Line1), ("line2", address.Line2), ("city", address.City), ("state", address.State), ("postal_code", address.PostalCode), ("country", address.Country),
        })
        {
            command.Parameters.Add(new NpgsqlParameter(parameter, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? customer : null;
    }

    public Task<CustomerRecord?> GetCustomerAsync(string tenantId, string id, CancellationToken cancellationToken) =>
        SingleCustomerAsync("id = @value", tenantId, id, cancellationToken);

    public Task<CustomerRecord?> FindCustomerByExternalIdAsync(string tenantId, string externalId, CancellationToken cancellationToken) =>
        SingleCustomerAsync("external_id = @value", tenantId, externalId, cancellationToken);

    public Task<(ImmutableArray<CustomerRecord> Items, long Total)> ListCustomersAsync(
        string tenantId, int limit, int offset, CancellationToken cancellationToken) =>
        SearchCustomersAsync(tenantId, CustomerSearch.All(limit, offset), cancellationToken);

    /// <summary>The tenant's customers matching <paramref name="search"/>: one page, and how many match in all.</summary>
    public async Task<(ImmutableArray<CustomerRecord> Items, long Total)> SearchCustomersAsync(
        string tenantId, CustomerSearch search, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand();
        var predicate = CustomerPredicate(command, tenantId, search);
        var order = search.Sort.Select(s => $"{SortColumn(s.Field)} {(s.Descending ? "DESC" : "ASC")}").ToList();
        order.Add(search.Sort.FirstOrDefault()?.Descending == false ? "id ASC" : "id DESC");
        command.CommandText = $"""
            SELECT {CustomerColumns}, count(*) OVER () FROM customers WHERE {predicate}
            ORDER BY {string.Join(", ", order)} LIMIT @limit OFFSET @offset
            """;
        command.Parameters.Add(new NpgsqlParameter<int>("limit", search.Limit));
        command.Parameters.Add(new NpgsqlParameter<int>("offset", search.Offset));
        var items = ImmutableArray.CreateBuilder<CustomerRecord>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadCustomer(reader));
                total = reader.GetInt64(CustomerColumnCount);
            }
        }

        if (items.Count == 0 && search.Offset > 0)
        {
            // A page past the end has no row to carry the total.
            await using var count = database.DataSource.CreateCommand();
            count.CommandText = $"SELECT count(*) FROM customers WHERE {CustomerPredicate(count, tenantId, search)}";
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        return (items.ToImmutable(), total);
    }

    /// <summary>The search's criteria as a WHERE clause, their parameters added to <paramref name="command"/>.</summary>
    private static string CustomerPredicate(NpgsqlCommand command, string tenantId, CustomerSearch search)
    {
        var where = new List<string> { "tenant_id = @tenant" };
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        if (search.Ids is { } ids)
        {
            where.Add("id = ANY(@ids)");
            command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. ids] });
        }

        if (search.ExternalIds is { } externalIds)
        {
            where.Add("external_id = ANY(@external_ids)");
            command.Parameters.Add(new NpgsqlParameter<string[]>("external_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. externalIds] });
        }

        if (search.Email is { } email)
        {
            where.Add("lower(email) = lower(@email)");
            command.Parameters.Add(new NpgsqlParameter<string>("email", email));
        }

        if (search.CreatedFrom is { } from)
        {
            where.Add("created_at >= @from");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("from", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(from, DateTimeKind.Utc) });
        }

        if (search.CreatedTo is { } to)
        {
            where.Add("created_at < @to");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("to", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(to, DateTimeKind.Utc) });
        }

        return string.Join(" AND ", where);
    }

    private static string SortColumn(CustomerSortField field) => field switch
    {
        CustomerSortField.Name => "name",
        CustomerSortField.ExternalId => "external_id",
        CustomerSortField.Email => "email",
        _ => "created_at",
    };

    public async Task<ImmutableArray<FeatureDefinition>> ListFeaturesAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, name, type, meter_id, event_name, aggregation_type, aggregation_field, reset_usage, created_at,
                   aggregation_multiplier, bucket_size, group_by, filters::text,
                   lookup_key, description, unit_singular, unit_plural, metadata::text
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
                reader.IsDBNull(12) ? [] : FiltersFromJson(reader.GetString(12)),
                ReadDetails(reader, 13)));
        }

        return features.ToImmutable();
    }

    /// <summary>Stores the feature; null when the tenant has a feature with its lookup key.</summary>
    public async Task<FeatureDefinition?> CreateFeatureAsync(string tenantId, NewFeature feature, CancellationToken cancellationToken)
    {
        var details = feature.Details ?? FeatureDetails.None;
        var created = new FeatureDefinition(
            Ids.New("feat", time), feature.Name, "metered", Ids.New("meter", time), feature.EventName,
            feature.Aggregation, feature.Aggregation == AggregationType.Count ? null : feature.Field, feature.ResetUsage, new DateTimeOffset(Now(), TimeSpan.Zero),
            feature.Multiplier, feature.BucketSize, feature.GroupBy, feature.Filters.IsDefault ? [] : feature.Filters,
            details == FeatureDetails.None ? null : details);
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO features (id, tenant_id, name, type, meter_id, event_name, aggregation_type, aggregation_field, reset_usage, created_at,
                                  aggregation_multiplier, bucket_size, group_by, filters,
                                  lookup_key, description, unit_singular, unit_plural, metadata)
            VALUES (@id, @tenant, @name, @type, @meter_id, @event_name, @aggregation, @field, @reset_usage, @now,
                    @multiplier, @bucket_size, @group_by, @filters::jsonb,
                    @lookup_key, @description, @unit_singular, @unit_plural, @metadata::jsonb)
            ON CONFLICT DO NOTHING
            """);
        foreach (var (parameter, value) in new[]
        {
            ("lookup_key", details.LookupKey), ("description", details.Description), ("unit_singular", details.UnitSingular),
            ("unit_plural", details.UnitPlural), ("metadata", details.MetadataJson),
        })
        {
            command.Parameters.Add(new NpgsqlParameter(parameter, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        }

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
        // The only unique key a new feature can meet is its lookup key's (ids are fresh).
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? created : null;
    }

    private static FeatureDetails? ReadDetails(NpgsqlDataReader reader, int first)
    {
        string? Text(int ordinal) => reader.IsDBNull(first + ordinal) ? null : reader.GetString(first + ordinal);
        var details = new FeatureDetails(Text(0), Text(1), Text(2), Text(3), Text(4));
        return details == FeatureDetails.None ? null : details;
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

    private const int CustomerColumnCount = 13;

    private static CustomerRecord ReadCustomer(NpgsqlDataReader reader)
    {
        string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        var address = new CustomerAddress(Text(7), Text(8), Text(9), Text(10), Text(11), Text(12));
        return new CustomerRecord(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Text(4), Text(5), reader.GetFieldValue<DateTime>(6),
            address.IsEmpty ? null : address);
    }
}
