using System.Runtime.CompilerServices;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.State;

namespace Flexprice.Tests.Aggregation;

/// <summary>
/// The distinct-value store's rule without a database (a value is new once per aggregate), for tests of the fold alone:
/// the grain moves a COUNT_UNIQUE count by what <c>distinct_values</c> answers; here a set answers instead.
/// </summary>
internal static class InMemoryDistinct
{
    private static readonly ConditionalWeakTable<FeatureAggregate, HashSet<string>> Seen = [];

    public static void Apply(FeatureAggregate aggregate, AggregationType type, long seq, DateTime timestamp, AggregationInput input)
    {
        Aggregator.Apply(aggregate, type, seq, timestamp, input);
        if (type == AggregationType.CountUnique && input.UniqueKey is { } key && Seen.GetOrCreateValue(aggregate).Add(key))
        {
            aggregate.UniqueCount++;
        }
    }
}
