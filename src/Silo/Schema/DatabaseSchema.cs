using System.Reflection;
using Npgsql;

namespace Flexprice.Silo.Schema;

/// <summary>
/// Applies the project's PostgreSQL schema: Orleans' ADO.NET tables and query texts plus the
/// project's own tables. Every script is idempotent, and they run under one advisory lock, so
/// any number of processes may start at once over the same database.
/// </summary>
public static class DatabaseSchema
{
    // An arbitrary constant that names "schema migration" among the database's advisory locks.
    private const long MigrationLockId = 0x466c_6578_7072_6963;

    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@id)", connection))
        {
            lockCommand.Parameters.AddWithValue("id", MigrationLockId);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            foreach (var (name, sql) in Scripts())
            {
                await using var command = new NpgsqlCommand(sql, connection);
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException ex)
                {
                    throw new InvalidOperationException($"Schema script {name} failed: {ex.MessageText}", ex);
                }
            }
        }
        finally
        {
            await using var unlockCommand = new NpgsqlCommand("SELECT pg_advisory_unlock(@id)", connection);
            unlockCommand.Parameters.AddWithValue("id", MigrationLockId);
            await unlockCommand.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>The embedded scripts, in file-name order.</summary>
    public static IEnumerable<(string Name, string Sql)> Scripts()
    {
        var assembly = typeof(DatabaseSchema).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (name, reader.ReadToEnd());
        }
    }
}
