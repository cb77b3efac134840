namespace Flexprice.Client.Catalog;

/// <summary>How a meter aggregates its events.</summary>
/// <param name="Type"><c>COUNT</c>, <c>SUM</c>, <c>AVG</c>, <c>MIN</c>, <c>MAX</c>, <c>LATEST</c>, <c>COUNT_UNIQUE</c>, <c>SUM_WITH_MULTIPLIER</c> or <c>WEIGHTED_SUM</c>.</param>
/// <param name="Field">The property aggregated; required for all but COUNT.</param>
/// <param name="Multiplier">SUM_WITH_MULTIPLIER only: a decimal &gt; 0.</param>
/// <param name="BucketSize">MAX and SUM only: the usage is the sum of the per-bucket results (MINUTE … MONTH).</param>
/// <param name="GroupBy">Bucketed MAX only: maxima per (bucket, value of this property), summed.</param>
public sealed record Aggregation(string Type, string? Field = null, decimal? Multiplier = null, string? BucketSize = null, string? GroupBy = null);
