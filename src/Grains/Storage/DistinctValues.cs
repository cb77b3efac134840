using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>
/// COUNT_UNIQUE's distinct values per (customer, feature), in <c>distinct_values</c>: the customer grain holds their
/// count only, so its memory and checkpoints do not grow with the values. Inserting is idempotent (a replay inserts
/// again what was inserted before); the rows a call inserts are the values new to the customer.
/// </summary>
public sealed class DistinctValues(FlexpriceDatabase database)
{
    /// <summary>Inserts the values; answers, per feature, how many were new.</summary>
    public async Task<Dictionary<string, long>> AddAsync(string tenantId, string externalCustomerId, IReadOnlyList<(string FeatureId, string Key)> values, CancellationToken cancellationToken)
    {
        var added = new Dictionary<string, long>(StringComparer.Ordinal);
        if (values.Count == 0)
        {
            return added;
        }

        var features = new string[values.Count];
        var hashes = new byte[values.Count][];
        for (var i = 0; i < values.Count; i++)
        {
            features[i] = values[i].FeatureId;
            hashes[i] = Hash(values[i].Key);
        }

        await using var command = database.DataSource.CreateCommand("""
            WITH added AS (
                INSERT INTO distinct_values (tenant_id, external_customer_id, feature_id, value_hash)
                SELECT @tenant, @customer, v.feature_id, v.value_hash FROM unnest(@features, @hashes) AS v(feature_id, value_hash)
                ON CONFLICT DO NOTHING
                RETURNING feature_id)
            SELECT feature_id, count(*) FROM added GROUP BY feature_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        command.Parameters.Add(new NpgsqlParameter<string[]>("features", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = features });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("hashes", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = hashes });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            added[reader.GetString(0)] = reader.GetInt64(1);
        }

        return added;
    }

    /// <summary>How many distinct values each of the customer's features holds.</summary>
    public async Task<Dictionary<string, long>> CountAsync(string tenantId, string externalCustomerId, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = database.DataSource.CreateCommand(
            "SELECT feature_id, count(*) FROM distinct_values WHERE tenant_id = @tenant AND external_customer_id = @customer GROUP BY feature_id");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("customer", externalCustomerId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>A value's key (its JSON text) as stored: the first 16 bytes of its SHA-256.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key))[..16];
}
