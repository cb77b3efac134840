namespace Flexprice.Grains.RateLimiting;

/// <summary>Default rate limits (configuration section <c>RateLimits</c>); a key's own limits override the first two.</summary>
public sealed class RateLimitOptions
{
    /// <summary>The largest per-key limit accepted: the log keeps 8 bytes per request of the last minute.</summary>
    public const int MaxPerMinute = 1_000_000;

    /// <summary><c>POST /v1/events</c> requests per minute per key (the spec's 1000).</summary>
    public int EventsPerMinute { get; set; } = 1000;

    /// <summary><c>POST /v1/events/bulk</c> requests per minute per key (the spec's 100).</summary>
    public int BulkPerMinute { get; set; } = 100;

    /// <summary>Failed authentications (missing, unknown or revoked key) per minute per client address before 429.</summary>
    public int FailedAuthPerMinute { get; set; } = 60;

    /// <summary>A key's effective limits: its own where set, the defaults elsewhere.</summary>
    public RateLimits Resolve(int? eventsPerMinute, int? bulkPerMinute) =>
        new(eventsPerMinute ?? EventsPerMinute, bulkPerMinute ?? BulkPerMinute);

    public RateLimits Defaults => new(EventsPerMinute, BulkPerMinute);
}
