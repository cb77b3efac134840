using System.Globalization;
using Npgsql;

namespace Flexprice.Grains.Storage;

/// <summary>
/// The project's PostgreSQL, as two pools. <see cref="DataSource"/> serves the group-commit writer, the grains and the
/// stores; <see cref="Reads"/> serves the API's queries of the event log (usage from the log, the event listing), with
/// its own connections and a <c>statement_timeout</c>, so a burst of heavy reads never holds the connections commits
/// need, and no read runs longer than <see cref="StorageReadOptions.StatementTimeout"/>.
/// </summary>
public sealed class FlexpriceDatabase(NpgsqlDataSource dataSource, NpgsqlDataSource reads) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>The pool of the API's log queries (usage from the log, the event listing and lookup).</summary>
    public NpgsqlDataSource Reads { get; } = reads;

    private const string ReadCommitted = @"-c default_transaction_isolation=read\ committed";

    public static FlexpriceDatabase Create(string connectionString) => Create(connectionString, new StorageReadOptions());

    public static FlexpriceDatabase Create(string connectionString, StorageReadOptions readOptions)
    {
        var reads = new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = readOptions.PoolSize,
            ApplicationName = "flexprice-reads",
        };
        var timeout = ((long)readOptions.StatementTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        AddOption(reads, $"-c statement_timeout={timeout}");
        // Every statement here is written for READ COMMITTED (a flush that finds a head moved reports that customer
        // collided; under REPEATABLE READ it would fail the whole flush), so a database or role whose default is
        // stricter does not change them. The flush runs without BEGIN, so nothing else pins it.
        var writes = new NpgsqlConnectionStringBuilder(connectionString);
        AddOption(writes, ReadCommitted);
        // No statement sent through these pools leaves session state behind (no SET, temporary table, LISTEN or
        // session-level advisory lock; an open transaction is rolled back when a connection goes back either way),
        // so the reset Npgsql otherwise runs before a pooled connection's next statement is PostgreSQL work for
        // nothing: DISCARD ALL, or, on a connection holding prepared statements (every flush's), seven statements
        // (RESET ALL, CLOSE ALL, UNLISTEN *, …). Measured: bench/RESULTS.md, "Connection resets". Code that ever
        // needs session state must take a connection of its own (as DatabaseSchema does for its advisory lock).
        writes.NoResetOnClose = true;
        reads.NoResetOnClose = true;
        return new(NpgsqlDataSource.Create(writes.ConnectionString), NpgsqlDataSource.Create(reads.ConnectionString));
    }

    /// <summary>Adds a server setting to the connection's startup options, after any the connection string has (later ones win).</summary>
    private static void AddOption(NpgsqlConnectionStringBuilder builder, string option) =>
        builder.Options = string.IsNullOrEmpty(builder.Options) ? option : $"{builder.Options} {option}";

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand("SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is 1;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Reads.DisposeAsync();
    }
}
