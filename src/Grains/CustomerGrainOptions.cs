namespace Flexprice.Grains;

/// <summary>When customer grains checkpoint their aggregates (configuration section <c>CustomerGrain</c>).</summary>
public sealed class CustomerGrainOptions
{
    /// <summary>Checkpoint after this many newly logged events.</summary>
    public int CheckpointEveryEvents { get; set; } = 1000;

    /// <summary>Checkpoint at least this often while there is something new.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many recent event ids (with fingerprints) a grain remembers to answer retries without a database trip.</summary>
    public int RecentEventIds { get; set; } = 10_000;
}
