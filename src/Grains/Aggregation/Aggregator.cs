using Flexprice.Grains.State;

namespace Flexprice.Grains.Aggregation;

/// <summary>The running aggregation math: pure, exact (decimal) and order-independent except for LATEST's tie rule.</summary>
public static class Aggregator
{
    /// <summary>Folds one event's input into the aggregate. <paramref name="seq"/> is its position in the customer's log.</summary>
    public static void Apply(FeatureAggregate aggregate, AggregationType type, long seq, DateTime timestamp, in AggregationInput input) =>
        Commit(Plan(aggregate, type, seq, timestamp, input));

    /// <summary>
    /// What folding the input would make of the aggregate, computed without changing it: whatever can fail (an overflow)
    /// fails here, so that an event is folded into all of its features or none (plan every feature, then commit them).
    /// </summary>
    public static AggregateChange Plan(FeatureAggregate aggregate, AggregationType type, long seq, DateTime timestamp, in AggregationInput input)
    {
        var change = new AggregateChange(
            aggregate, checked(aggregate.EventCount + 1), aggregate.Sum, aggregate.Max, aggregate.Min,
            aggregate.LatestTimestamp, aggregate.LatestSeq, aggregate.LatestNumber, aggregate.LatestText, null);
        switch (type)
        {
            case AggregationType.Sum or AggregationType.Avg or AggregationType.SumWithMultiplier or AggregationType.WeightedSum:
                return change with { Sum = aggregate.Sum + input.Number };
            case AggregationType.Min:
                return change with { Min = aggregate.Min is { } min ? Math.Min(min, input.Number) : input.Number };
            case AggregationType.Max:
                return change with { Max = aggregate.Max is { } max ? Math.Max(max, input.Number) : input.Number };
            case AggregationType.Latest:
                // Greatest timestamp wins; on a tie the later ingested (higher log position) wins.
                return aggregate.LatestTimestamp is not { } latest || timestamp > latest || (timestamp == latest && seq > aggregate.LatestSeq)
                    ? change with { LatestTimestamp = timestamp, LatestSeq = seq, LatestNumber = input.Number, LatestText = input.Text }
                    : change;
            case AggregationType.CountUnique:
                return change with { UniqueKey = input.UniqueKey! };
            default:
                return change;
        }
    }

    /// <summary>Writes a planned change into its aggregate; nothing here can fail for the values' sake.</summary>
    public static void Commit(in AggregateChange change)
    {
        var aggregate = change.Target;
        aggregate.EventCount = change.EventCount;
        aggregate.Sum = change.Sum;
        aggregate.Max = change.Max;
        aggregate.Min = change.Min;
        aggregate.LatestTimestamp = change.LatestTimestamp;
        aggregate.LatestSeq = change.LatestSeq;
        aggregate.LatestNumber = change.LatestNumber;
        aggregate.LatestText = change.LatestText;
        // COUNT_UNIQUE's value (change.UniqueKey) is not kept here: the projection hands it to the distinct-value
        // store, whose answer (new or not) moves UniqueCount.
    }

    /// <summary>The usage figure; 0 when no event fed the feature.</summary>
    public static UsageValue Value(FeatureAggregate aggregate, AggregationType type) => type switch
    {
        AggregationType.Count => UsageValue.Of(aggregate.EventCount),
        AggregationType.Sum => UsageValue.Of(aggregate.Sum),
        AggregationType.Max => UsageValue.Of(aggregate.Max ?? 0m),
        AggregationType.Latest => aggregate.LatestTimestamp is null
            ? UsageValue.Of(0m)
            : aggregate.LatestText is { } text ? UsageValue.OfText(text) : UsageValue.Of(aggregate.LatestNumber),
        AggregationType.CountUnique => UsageValue.Of(aggregate.UniqueCount),
        AggregationType.Avg => UsageValue.Of(aggregate.EventCount == 0 ? 0m : aggregate.Sum / aggregate.EventCount),
        AggregationType.Min => UsageValue.Of(aggregate.Min ?? 0m),
        // All time has no period end to prorate to, and no multiplier here: the plain sum.
        AggregationType.SumWithMultiplier or AggregationType.WeightedSum => UsageValue.Of(aggregate.Sum),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}

/// <summary>One event's effect on one feature's aggregate, planned by <see cref="Aggregator.Plan"/> and applied by <see cref="Aggregator.Commit"/>.</summary>
public readonly record struct AggregateChange(
    FeatureAggregate Target, long EventCount, decimal Sum, decimal? Max, decimal? Min,
    DateTime? LatestTimestamp, long LatestSeq, decimal LatestNumber, string? LatestText, string? UniqueKey);
