namespace Flexprice.Grains.State;

/// <summary>
/// The running aggregate of one feature for one customer, covering every logged event of the
/// customer up to <see cref="ThroughSeq"/>. Stored as JSON in grain checkpoints: keep the type name.
/// </summary>
public sealed class FeatureAggregate
{
    /// <summary>The last customer log position this aggregate includes.</summary>
    public long ThroughSeq { get; set; }

    /// <summary>Events that fed the feature.</summary>
    public long EventCount { get; set; }

    public decimal Sum { get; set; }

    public decimal? Max { get; set; }

    public decimal? Min { get; set; }

    public DateTime? LatestTimestamp { get; set; }

    public long LatestSeq { get; set; }

    public decimal LatestNumber { get; set; }

    public string? LatestText { get; set; }

    /// <summary>COUNT_UNIQUE: how many distinct values fed the feature (the values themselves are in the database's <c>distinct_values</c>).</summary>
    public long UniqueCount { get; set; }

    /// <summary>
    /// COUNT_UNIQUE's values as checkpoints kept them before they moved to <c>distinct_values</c>: read from such a
    /// checkpoint, inserted there at activation, then dropped. Never written anew.
    /// </summary>
    public HashSet<string>? Unique { get; set; }
}
