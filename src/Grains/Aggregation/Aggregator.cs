using Flexprice.Grains.State;

namespace Flexprice.Grains.Aggregation;

/// <summary>The running aggregation math: pure, exact (decimal) and order-independent except for LATEST's tie rule.</summary>
public static class Aggregator
{
    /// <summary>Folds one event's input into the aggregate. <paramref name="seq"/> is its position in the customer's log.</summary>
    public static void Apply(FeatureAggregate aggregate, AggregationType type, long seq, DateTime timestamp, in AggregationInput input)
    {
        aggregate.EventCount++;
        switch (type)
        {
            case AggregationType.Sum or AggregationType.Avg or AggregationType.SumWithMultiplier or AggregationType.WeightedSum:
                aggregate.Sum += input.Number;
                break;
            case AggregationType.Min:
                aggregate.Min = aggregate.Min is { } min ? Math.Min(min, input.Number) : input.Number;
                break;
            case AggregationType.Max:
                aggregate.Max = aggregate.Max is { } max ? Math.Max(max, input.Number) : input.Number;
                break;
            case AggregationType.Latest:
                // Greatest timestamp wins; on a tie the later ingested (higher log position) wins.
                if (aggregate.LatestTimestamp is not { } latest || timestamp > latest || (timestamp == latest && seq > aggregate.LatestSeq))
                {
                    aggregate.LatestTimestamp = timestamp;
                    aggregate.LatestSeq = seq;
                    aggregate.LatestNumber = input.Number;
                    aggregate.LatestText = input.Text;
                }

                break;
            case AggregationType.CountUnique:
                (aggregate.Unique ??= new HashSet<string>(StringComparer.Ordinal)).Add(input.UniqueKey!);
                break;
        }

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
        AggregationType.CountUnique => UsageValue.Of(aggregate.Unique?.Count ?? 0),
        AggregationType.Avg => UsageValue.Of(aggregate.EventCount == 0 ? 0m : aggregate.Sum / aggregate.EventCount),
        AggregationType.Min => UsageValue.Of(aggregate.Min ?? 0m),
        // All time has no period end to prorate to, and no multiplier here: the plain sum.
        AggregationType.SumWithMultiplier or AggregationType.WeightedSum => UsageValue.Of(aggregate.Sum),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
