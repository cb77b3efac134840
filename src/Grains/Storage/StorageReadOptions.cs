namespace Flexprice.Grains.Storage;

/// <summary>The API's reads of the event log (section <c>StorageReads</c>: <c>StorageReads__StatementTimeout</c>, …).</summary>
public sealed class StorageReadOptions
{
    public const string Section = "StorageReads";

    /// <summary>PostgreSQL stops a log query after this long (a 503 for that request); writes have no such limit.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections of the reads' own pool, apart from the writer's.</summary>
    public int PoolSize { get; set; } = 16;

    /// <summary>Log queries (usage from the log, event listings) one API node runs at once; the others wait their turn.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>How long a log query waits for its turn before it is answered 503.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
