using System.Collections.Immutable;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Api.Usage;

/// <summary>
/// The body of <c>POST /v1/events/analytics</c>, Flexprice's <c>GetUsageAnalyticsRequest</c>. The range and its defaults
/// are the usage query's (the 7 days before now); <c>timezone</c> (IANA, default UTC) aligns the windows, as on the usage
/// routes. <c>group_by</c> takes <c>feature_id</c> only (one item per feature is what this route answers); <c>sources</c>
/// is refused (usage here is not kept by source); <c>expand</c> is accepted (meter and feature are always included).
/// </summary>
/// <param name="ExternalCustomerId">The customer (or <see cref="CustomerId"/>, Flexprice's id); one of them is required.</param>
/// <param name="FeatureIds">The features to report; none: every feature of the tenant.</param>
/// <param name="PropertyFilters">Only events whose property equals one of the values, for every key (as a meter's filters: numbers by value).</param>
public sealed record AnalyticsRequest(
    string? ExternalCustomerId,
    string? CustomerId,
    IReadOnlyList<string>? FeatureIds,
    string? StartTime,
    string? EndTime,
    string? WindowSize,
    string? Timezone,
    IReadOnlyList<string>? GroupBy,
    Dictionary<string, IReadOnlyList<string>>? PropertyFilters,
    IReadOnlyList<string>? Expand,
    IReadOnlyList<string>? Sources)
{
    /// <summary>The request, read: the customer still to resolve.</summary>
    public sealed record Parsed(
        string? ExternalCustomerId, string? CustomerId, IReadOnlyList<string> FeatureIds, UsageRange Range, ImmutableArray<MeterFilter> Filters);

    public static bool TryRead(JsonElement json, DateTime now, out Parsed request, out string error)
    {
        request = null!;
        if (!JsonFields.TryString(json, "external_customer_id", InputLimits.MaxIdLength, out var externalCustomerId, out error)
            || !JsonFields.TryString(json, "customer_id", InputLimits.MaxIdLength, out var customerId, out error)
            || !JsonFields.TryStrings(json, "feature_ids", InputLimits.MaxIdLength, out var featureIds, out error)
            || !JsonFields.TryString(json, "start_time", 64, out var startText, out error) || !JsonFields.TryString(json, "end_time", 64, out var endText, out error)
            || !JsonFields.TryString(json, "window_size", 64, out var windowText, out error) || !JsonFields.TryString(json, "timezone", 64, out var zoneText, out error)
            || !JsonFields.TryStrings(json, "group_by", InputLimits.MaxNameLength, out var groupBy, out error)
            || !JsonFields.TryStrings(json, "sources", InputLimits.MaxNameLength, out var sources, out error)
            || !JsonFields.TryStrings(json, "expand", 64, out _, out error)
            || !JsonFields.TryStringLists(json, "property_filters", out var propertyFilters, out error)
            || !UsageRequest.TryTime(startText, "start_time", out var start, out error) || !UsageRequest.TryTime(endText, "end_time", out var end, out error)
            || !UsageRequest.TryRange(start, end, now, out var from, out var to, out error)
            || !UsageRequest.TryWindow(windowText, "window_size", out var window, out error))
        {
            return false;
        }

        if (string.IsNullOrEmpty(externalCustomerId) && string.IsNullOrEmpty(customerId))
        {
            error = Contracts.ErrorMessages.MissingField("external_customer_id");
            return false;
        }

        var zone = TimeZoneInfo.Utc;
        if (zoneText is { Length: > 0 } && !UsageRequest.TryZone(zoneText, out zone))
        {
            error = $"Invalid timezone '{Contracts.ErrorMessages.Echo(zoneText)}': use an IANA time zone such as Europe/Berlin";
            return false;
        }

        if (groupBy?.FirstOrDefault(g => g != "feature_id") is { } unsupported)
        {
            error = $"Invalid group_by '{Contracts.ErrorMessages.Echo(unsupported)}': analytics here are grouped by feature_id only";
            return false;
        }

        if (sources is { Count: > 0 })
        {
            error = "Invalid field: sources: usage here is not kept by source; leave it out";
            return false;
        }

        request = new Parsed(
            externalCustomerId, customerId, featureIds ?? [], new UsageRange(from, to, zone, window),
            [.. (propertyFilters ?? []).Select(f => new MeterFilter(f.Key, [.. f.Values]))]);
        return true;
    }
}
