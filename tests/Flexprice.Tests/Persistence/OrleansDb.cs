using System.Data;
using Flexprice.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// Direct access to the Orleans tables for assertions, over connections whose session
/// TimeZone is deliberately not UTC (timestamps must not drift with it).
/// </summary>
internal static class OrleansDb
{
    public const string NonUtcTimeZone = "America/New_York";

    /// <summary>The test database, schema applied, with a non-UTC session TimeZone.</summary>
    public static async Task<string> ConnectionStringAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await TestDatabase.ReadyAsync());
        var timeZone = $"-c TimeZone={NonUtcTimeZone}";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? timeZone : $"{builder.Options} {timeZone}";
        return builder.ConnectionString;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string? connectionString = null)
    {
        var connection = new NpgsqlConnection(connectionString ?? await ConnectionStringAsync());
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The text stored under <paramref name="key"/> in orleansquery.</summary>
    public static async Task<string> QueryTextAsync(string key) =>
        await ScalarAsync<string>("SELECT querytext FROM orleansquery WHERE querykey = @key", Text("key", key))
        ?? throw new InvalidOperationException($"Query key {key} is missing.");

    /// <summary>Runs <paramref name="sql"/> and returns every row, column names lowercased.</summary>
    public static async Task<List<Dictionary<string, object?>>> RowsAsync(string sql, params NpgsqlParameter[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public static async Task<T?> ScalarAsync<T>(string sql, params NpgsqlParameter[] parameters)
    {
        var rows = await RowsAsync(sql, parameters);
        return rows.Count == 0 ? default : (T?)rows[0].Values.First();
    }

    public static Task<int> ExecuteAsync(string sql, params NpgsqlParameter[] parameters) => ExecuteAsync(sql, null, parameters);

    public static async Task<int> ExecuteAsync(string sql, string? connectionString, params NpgsqlParameter[] parameters)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync();
    }

    // Parameters typed the way the providers bind them (see the contract, §2 and §4).
    public static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter AnsiText(string name, string value) =>
        new(name, DbType.AnsiString) { Value = value };

    public static NpgsqlParameter Int(string name, int value) => new(name, NpgsqlDbType.Integer) { Value = value };

    public static NpgsqlParameter Long(string name, long value) => new(name, NpgsqlDbType.Bigint) { Value = value };

    public static NpgsqlParameter Utc(string name, DateTime value) =>
        new(name, DbType.DateTime) { Value = DateTime.SpecifyKind(value, DateTimeKind.Utc) };
}
