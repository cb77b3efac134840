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

    public static async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(await ReadyAsync());
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
