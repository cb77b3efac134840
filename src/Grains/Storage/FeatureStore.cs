using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>The tenants' metered features and their meters: the catalog a tenant's catalog grain holds.</summary>
public sealed class FeatureStore(FlexpriceDatabase database, TimeProvider time)
{
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
            var meter = new Meter(
                reader.GetString(4),
                aggregation,
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(9) ? null : reader.GetDecimal(9),
                reader.IsDBNull(10) || !WindowSizeNames.TryParse(reader.GetString(10), out var bucket) ? null : bucket,
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? [] : FiltersFromJson(reader.GetString(12)));
            features.Add(new FeatureDefinition(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                meter,
                reader.GetString(7),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero),
                ReadDetails(reader, 13)));
        }

        return features.ToImmutable();
    }

    /// <summary>Stores the feature; null when the tenant has a feature with its lookup key.</summary>
    public async Task<FeatureDefinition?> CreateFeatureAsync(string tenantId, NewFeature feature, CancellationToken cancellationToken)
    {
        var details = feature.Details ?? FeatureDetails.None;
        var meter = feature.Meter.Aggregation == AggregationType.Count ? feature.Meter with { Field = null } : feature.Meter;
        var created = new FeatureDefinition(
            Ids.New("feat", time), feature.Name, "metered", Ids.New("meter", time), meter, feature.ResetUsage,
            new DateTimeOffset(StoreSql.Now(time), TimeSpan.Zero), details == FeatureDetails.None ? null : details);
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

        command.Parameters.Add(new NpgsqlParameter("multiplier", NpgsqlDbType.Numeric) { Value = (object?)meter.Multiplier ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("bucket_size", NpgsqlDbType.Text) { Value = (object?)meter.BucketSize?.ToWireName() ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("group_by", NpgsqlDbType.Text) { Value = (object?)meter.GroupBy ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("filters", NpgsqlDbType.Text)
        {
            Value = meter.Filters.IsEmpty ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(meter.Filters.Select(f => new { key = f.Key, values = f.Values })),
        });
        command.Parameters.Add(new NpgsqlParameter<string>("id", created.Id));
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("name", created.Name));
        command.Parameters.Add(new NpgsqlParameter<string>("type", created.Type));
        command.Parameters.Add(new NpgsqlParameter<string>("meter_id", created.MeterId));
        command.Parameters.Add(new NpgsqlParameter<string>("event_name", meter.EventName));
        command.Parameters.Add(new NpgsqlParameter<string>("aggregation", meter.Aggregation.ToWireName()));
        command.Parameters.Add(new NpgsqlParameter("field", NpgsqlDbType.Text) { Value = (object?)meter.Field ?? DBNull.Value });
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

    private static ImmutableArray<MeterFilter> FiltersFromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(f => new MeterFilter(
            f.GetProperty("key").GetString()!, [.. f.GetProperty("values").EnumerateArray().Select(v => v.GetString()!)]))];
    }
}
