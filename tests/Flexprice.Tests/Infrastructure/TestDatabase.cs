using Flexprice.Silo.Schema;
using Npgsql;

namespace Flexprice.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL that <c>scripts/test</c> starts. Tests that need it fail (never skip) when it is
/// missing. The schema is applied once per test process.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<Task> Schema = new(() => DatabaseSchema.ApplyAsync(ConnectionString));

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "ConnectionStrings__Postgres is not set. Run the tests through scripts/test, which starts a throwaway PostgreSQL.");

    /// <summary>The connection string, once the schema is in place.</summary>
    public static async Task<string> ReadyAsync()
    {
        await Schema.Value;
        return ConnectionString;
    }

    /// <summary>
    /// A database of its own on the same server, new, with the schema applied (unless <paramref name="withSchema"/> is
    /// false): for tests that change the whole log (retention drops partitions every test shares).
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string prefix, bool withSchema = true)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
        if (withSchema)
        {
            await DatabaseSchema.ApplyAsync(connectionString);
        }

        return connectionString;
    }

    public static async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters) =>
        await ScalarOnAsync<T>(await ReadyAsync(), sql, parameters);

    /// <summary><see cref="ScalarAsync{T}"/> on another database (see <see cref="CreateDatabaseAsync"/>).</summary>
    public static async Task<T?> ScalarOnAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)Convert.ChangeType(result, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
