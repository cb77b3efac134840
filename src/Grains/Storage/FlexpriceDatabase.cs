using Npgsql;

namespace Flexprice.Grains.Storage;

/// <summary>The project's PostgreSQL, shared by every store in the process (one pool).</summary>
public sealed class FlexpriceDatabase(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static FlexpriceDatabase Create(string connectionString) => new(NpgsqlDataSource.Create(connectionString));

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand("SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is 1;
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
