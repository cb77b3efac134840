namespace Flexprice.Grains;

/// <summary>When customer grains checkpoint their aggregates (configuration section <c>CustomerGrain</c>).</summary>
public sealed class CustomerGrainOptions
{
    public const string Section = nameof(CustomerGrain);

    /// <summary>Checkpoint after this many newly logged events.</summary>
    public int CheckpointEveryEvents { get; set; } = 1000;

    /// <summary>
    /// Checkpoint at least this often while there is something new. A checkpoint is a grain-state
    /// write: every active customer makes one per interval (10,000 customers: 17 a second at 10 minutes,
    /// 83 at 2), on the same cores and database as ingestion, and the log (replayed after the checkpoint)
    /// makes a longer one safe. What an activation replays is bounded by <see cref="CheckpointEveryEvents"/>
    /// whatever the interval: the interval only checkpoints customers that send fewer events than that,
    /// whose replay is short anyway. The same timer lets go of in-memory events older than <see cref="HotPeriod"/>,
    /// so they may outlive it by up to one interval (the memory bounds hold regardless).
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many recent event ids (with fingerprints) a grain remembers to answer retries without a database trip.</summary>
    public int RecentEventIds { get; set; } = 10_000;

    /// <summary>How many recent event ids all customer grains of a silo remember together (about 85 bytes each).</summary>
    public long RecentEventIdsPerSilo { get; set; } = 500_000;

    /// <summary>Usage queries whose range starts less than this long ago are answered from the events the grain holds in memory; older ranges from the event log.</summary>
    public TimeSpan HotPeriod { get; set; } = TimeSpan.FromHours(26);

    /// <summary>
    /// A feature new to a customer reads the customer's earlier events in the background, this many per grain turn
    /// (ingestion interleaves between turns, so no request waits longer than one chunk).
    /// </summary>
    public int CatchUpChunkEvents { get; set; } = 5_000;

    /// <summary>At most this many events held in memory per customer; beyond it the in-memory period shortens.</summary>
    public int HotMaxEvents { get; set; } = 20_000;

    /// <summary>At most about this many bytes of recent events held in memory per customer (16 MiB); beyond it the in-memory period shortens.</summary>
    public long HotMaxBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// At most about this many bytes of recent events held by all customers of a silo together (1 GiB); a customer
    /// that adds while the silo is over it gives up its older half. Queries over what was given up read the log.
    /// </summary>
    public long HotMaxBytesPerSilo { get; set; } = 1024L * 1024 * 1024;
}
