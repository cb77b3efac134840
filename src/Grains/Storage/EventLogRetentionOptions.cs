namespace Flexprice.Grains.Storage;

/// <summary>How long the event log keeps events, and its upkeep (configuration section <c>Retention</c>).</summary>
public sealed class EventLogRetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Keep events whose timestamp is at most this many days old; older partitions are dropped (null, the default:
    /// keep forever). Events whose timestamp is older than <c>Days − 1</c> days are refused when sent, since their
    /// partition would go within a day. All-time usage keeps counting dropped events (it comes from the customers'
    /// checkpoints); queries over a dropped range say so.
    /// </summary>
    public int? Days { get; set; }

    /// <summary>When set, each partition is exported there (PostgreSQL binary COPY, as <c>scripts/archive export</c> writes it) before it is dropped, and kept if the export fails.</summary>
    public string? ArchiveDirectory { get; set; }

    /// <summary>How often a silo makes partitions ahead and applies retention (every silo does; the work is idempotent).</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Days after today whose partitions are made ahead, so that no append waits for one at midnight.</summary>
    public int PartitionsAhead { get; set; } = 3;

    /// <summary>The earliest event time accepted at <paramref name="now"/> (null: any), see <see cref="Days"/>.</summary>
    public DateTime? AcceptedFrom(DateTime now) => RetainedFrom(now)?.AddDays(1);

    /// <summary>The start of the UTC day <see cref="Days"/> days before <paramref name="now"/>: partitions that end at or before it are dropped (null: none).</summary>
    public DateTime? RetainedFrom(DateTime now) => Days is { } days ? DateTime.SpecifyKind(now.Date.AddDays(-days), DateTimeKind.Utc) : null;
}
