using System.Text.Json;
using Flexprice.Grains;

namespace Flexprice.Api.Features;

/// <summary>
/// The body of <c>POST /v1/features/search</c>, Flexprice's <c>FeatureFilter</c>: every criterion optional, all of them
/// ANDed; a list matches any of its values. Sorts by <c>created_at</c>, <c>name</c> or <c>lookup_key</c> (see <see cref="SearchPaging"/>).
/// </summary>
/// <param name="NameContains">Case-insensitive part of the name.</param>
public sealed record FeatureSearchRequest(
    IReadOnlyList<string>? FeatureIds,
    string? LookupKey,
    IReadOnlyList<string>? LookupKeys,
    IReadOnlyList<string>? MeterIds,
    string? NameContains,
    string? Status,
    string? StartTime,
    string? EndTime,
    int? Limit,
    int? Offset,
    string? Order,
    IReadOnlyList<SortRequest>? Sort)
{
    private static readonly string[] SortFields = [SearchPaging.CreatedAt, "name", "lookup_key"];

    // Text by ordinal (the same order as PostgreSQL's "C" collation would give), absent values first.
    private static readonly Comparer<object?> Ordinal = Comparer<object?>.Create(static (a, b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        _ => Comparer<object>.Default.Compare(a, b),
    });

    /// <summary>The criteria read from a body.</summary>
    public sealed record Criteria(
        IReadOnlyList<string>? FeatureIds, string? LookupKey, IReadOnlyList<string>? LookupKeys, IReadOnlyList<string>? MeterIds, string? NameContains, SearchPaging Paging)
    {
        /// <summary>Every feature that matches, sorted.</summary>
        public IReadOnlyList<FeatureDefinition> Filter(IEnumerable<FeatureDefinition> features)
        {
            var matching = features.Where(f =>
                Paging.AnyStatus
                && (FeatureIds is null || FeatureIds.Contains(f.Id))
                && (LookupKey is null || f.Describe.LookupKey == LookupKey)
                && (LookupKeys is null || (f.Describe.LookupKey is { } key && LookupKeys.Contains(key)))
                && (MeterIds is null || MeterIds.Contains(f.MeterId))
                && (NameContains is null || f.Name.Contains(NameContains, StringComparison.OrdinalIgnoreCase))
                && (Paging.CreatedFrom is not { } from || f.CreatedAt.UtcDateTime >= from)
                && (Paging.CreatedTo is not { } to || f.CreatedAt.UtcDateTime < to));
            IOrderedEnumerable<FeatureDefinition>? sorted = null;
            foreach (var (field, descending) in Paging.Sort)
            {
                Func<FeatureDefinition, object?> key = field switch
                {
                    "name" => f => f.Name,
                    "lookup_key" => f => f.Describe.LookupKey,
                    _ => f => f.CreatedAt,
                };
                sorted = (sorted, descending) switch
                {
                    (null, false) => matching.OrderBy(key, Ordinal),
                    (null, true) => matching.OrderByDescending(key, Ordinal),
                    (_, false) => sorted.ThenBy(key, Ordinal),
                    (_, true) => sorted.ThenByDescending(key, Ordinal),
                };
            }

            var last = Paging.Sort[^1].Descending;
            return [.. last ? sorted!.ThenByDescending(f => f.Id, StringComparer.Ordinal) : sorted!.ThenBy(f => f.Id, StringComparer.Ordinal)];
        }
    }

    public static bool TryRead(JsonElement json, out Criteria criteria, out string error)
    {
        criteria = null!;
        if (!SearchPaging.TryRead(json, SortFields, out var paging, out error)
            || !JsonFields.TryStrings(json, "feature_ids", InputLimits.MaxIdLength, out var featureIds, out error)
            || !JsonFields.TryString(json, "lookup_key", InputLimits.MaxNameLength, out var lookupKey, out error)
            || !JsonFields.TryStrings(json, "lookup_keys", InputLimits.MaxNameLength, out var lookupKeys, out error)
            || !JsonFields.TryStrings(json, "meter_ids", InputLimits.MaxIdLength, out var meterIds, out error)
            || !JsonFields.TryString(json, "name_contains", InputLimits.MaxNameLength, out var nameContains, out error))
        {
            return false;
        }

        criteria = new Criteria(featureIds, Empty(lookupKey), lookupKeys, meterIds, Empty(nameContains), paging);
        return true;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
