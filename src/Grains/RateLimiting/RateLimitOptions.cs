namespace Flexprice.Grains.RateLimiting;

/// <summary>Default rate limits (configuration section <c>RateLimits</c>); a key's own limits override the first two.</summary>
public sealed class RateLimitOptions
{
    public const string Section = nameof(RateLimits);

    /// <summary>The largest per-key limit accepted: the log keeps 8 bytes per request of the last minute.</summary>
    public const int MaxPerMinute = 1_000_000;

    /// <summary><c>POST /v1/events</c> requests per minute per key (the spec's 1000).</summary>
    public int EventsPerMinute { get; set; } = 1000;

    /// <summary><c>POST /v1/events/bulk</c> requests per minute per key (the spec's 100).</summary>
    public int BulkPerMinute { get; set; } = 100;

    /// <summary>Requests per minute per key on the read routes together (usage, analytics, listings, lookups).</summary>
    public int ReadsPerMinute { get; set; } = 600;

    /// <summary>Failed authentications (unknown or revoked key) per minute per client address before 429.</summary>
    public int FailedAuthPerMinute { get; set; } = 60;

    /// <summary>
    /// Past <see cref="FailedAuthPerMinute"/>, each further failure from the address is answered (429) only
    /// after this long, and at most <see cref="FailedAuthConcurrency"/> such answers per address are held at
    /// once on an API node: key guessing from one address is held to about
    /// FailedAuthPerMinute + FailedAuthConcurrency × (1 min ÷ FailedAuthPenalty) guesses a minute per node.
    /// Valid keys are looked up first and never wait.
    /// </summary>
    public TimeSpan FailedAuthPenalty { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>See <see cref="FailedAuthPenalty"/>.</summary>
    public int FailedAuthConcurrency { get; set; } = 2;

    /// <summary>A key's effective limits: its own where set, the defaults elsewhere.</summary>
    public RateLimits Resolve(int? eventsPerMinute, int? bulkPerMinute) =>
        new(eventsPerMinute ?? EventsPerMinute, bulkPerMinute ?? BulkPerMinute, ReadsPerMinute);

    public RateLimits Defaults => new(EventsPerMinute, BulkPerMinute, ReadsPerMinute);
}
