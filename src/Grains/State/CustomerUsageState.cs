namespace Flexprice.Grains.State;

/// <summary>
/// A customer grain's checkpoint: a projection of the customer's event log up to <see cref="LastSeq"/>.
/// The log is the truth; on activation the grain replays what follows. Stored as JSON with its type
/// name by Orleans' ADO.NET storage: keep the type and property names.
/// </summary>
public sealed class CustomerUsageState
{
    /// <summary>The highest customer log position assigned so far.</summary>
    public long LastSeq { get; set; }

    /// <summary>Aggregates by feature id.</summary>
    public Dictionary<string, FeatureAggregate> Features { get; set; } = new(StringComparer.Ordinal);
}
