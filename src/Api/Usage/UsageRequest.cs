using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Api.Usage;

/// <summary>
/// A usage query as <c>POST /v1/events/usage</c> and <c>POST /v1/events/usage/meter</c> take it, read leniently
/// from JSON: times RFC 3339 (default: the 7 days before now), <c>filters</c> as <c>{"key": ["v", …]}</c> or
/// <c>[{"key", "values"}]</c>, <c>group_by</c> a property name (or a one-element list).
/// </summary>
public sealed record UsageRequest(
    string? EventName,
    string? AggregationType,
    string? PropertyName,
    string? ExternalCustomerId,
    string? CustomerId,
    string? MeterId,
    string? FeatureId,
    DateTime Start,
    DateTime End,
    WindowSize? WindowSize,
    TimeZoneInfo Zone,
    DateTime? BillingAnchor,
    decimal? Multiplier,
    WindowSize? BucketSize,
    string? GroupBy,
    ImmutableArray<MeterFilter> Filters)
{
    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(7);

    public UsageRange Range => new(Start, End, Zone, WindowSize, BillingAnchor);

    /// <summary>Reads the request; on failure <paramref name="error"/> says what is wrong, for a 400.</summary>
    public static bool TryRead(JsonElement json, DateTime now, out UsageRequest request, out string error)
    {
        request = null!;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = Contracts.ErrorMessages.InvalidJson;
            return false;
        }

        // Every text field, strictly: a value of another JSON type is refused, never read as absent.
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, max) in TextFields)
        {
            if (!TryText(json, name, max, out var value, out error))
            {
                return false;
            }

            texts[name] = value;
        }

        string? Text(string name) => texts[name];

        if (!TryTime(Text("start_time"), "start_time", out var start, out error)
            || !TryTime(Text("end_time"), "end_time", out var end, out error)
            || !TryTime(Text("billing_anchor"), "billing_anchor", out var anchor, out error))
        {
            return false;
        }

        if (!TryRange(start, end, now, out var startTime, out var endTime, out error))
        {
            return false;
        }

        if (!TryWindow(Text("window_size"), "window_size", out var window, out error) || !TryWindow(Text("bucket_size"), "bucket_size", out var bucket, out error))
        {
            return false;
        }

        var zone = TimeZoneInfo.Utc;
        if (Text("timezone") is { Length: > 0 } zoneId && !TryZone(zoneId, out zone))
        {
            error = $"Invalid timezone '{ErrorMessages.Echo(zoneId)}': use an IANA time zone such as Europe/Berlin";
            return false;
        }

        decimal? multiplier = null;
        if (json.TryGetProperty("multiplier", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (!PropertyReader.TryReadNumber(m, out var value) || value <= 0)
            {
                error = "Invalid multiplier: a number greater than 0";
                return false;
            }

            multiplier = value;
        }

        string? groupBy = null;
        if (json.TryGetProperty("group_by", out var g))
        {
            groupBy = g.ValueKind switch
            {
                JsonValueKind.String => g.GetString(),
                JsonValueKind.Array when g.GetArrayLength() == 1 && g[0].ValueKind == JsonValueKind.String => g[0].GetString(),
                JsonValueKind.Array when g.GetArrayLength() == 0 => null,
                JsonValueKind.Null => null,
                _ => "\0",
            };
            if (groupBy == "\0")
            {
                error = "Invalid group_by: one property name";
                return false;
            }
        }

        // Flexprice's SDKs name it group_by_property.
        if (Text("group_by_property") is { Length: > 0 } byProperty)
        {
            if (!string.IsNullOrWhiteSpace(groupBy) && groupBy != byProperty)
            {
                error = "Invalid group_by_property: it differs from group_by";
                return false;
            }

            groupBy = byProperty;
        }

        if (!TryFilters(json, out var filters, out error))
        {
            return false;
        }

        request = new UsageRequest(
            Text("event_name"), Text("aggregation_type"), Text("property_name"), Text("external_customer_id"), Text("customer_id"), Text("meter_id"), Text("feature_id"),
            startTime, endTime, window, zone, anchor, multiplier, bucket, string.IsNullOrWhiteSpace(groupBy) ? null : groupBy, filters);
        error = "";
        return true;
    }

    private static readonly (string Name, int Max)[] TextFields =
    [
        ("event_name", InputLimits.MaxNameLength), ("aggregation_type", 64), ("property_name", InputLimits.MaxNameLength),
        ("external_customer_id", InputLimits.MaxIdLength), ("customer_id", InputLimits.MaxIdLength), ("meter_id", InputLimits.MaxIdLength),
        ("feature_id", InputLimits.MaxIdLength), ("start_time", 64), ("end_time", 64), ("billing_anchor", 64), ("window_size", 64),
        ("bucket_size", 64), ("timezone", 64), ("group_by_property", InputLimits.MaxNameLength),
    ];

    private static bool TryText(JsonElement json, string name, int max, out string? value, out string error) =>
        JsonFields.TryString(json, name, max, out value, out error);

    /// <summary>The meter's checks: a field for all but COUNT, a multiplier for SUM_WITH_MULTIPLIER, buckets only for MAX and SUM, no group_by for LATEST.</summary>
    public static string? Validate(Meter meter)
    {
        if (meter.Aggregation != Grains.Abstractions.AggregationType.Count && string.IsNullOrWhiteSpace(meter.Field))
        {
            return $"Missing required field: property_name ({meter.Aggregation.ToWireName()} aggregates a property)";
        }

        if (meter.BucketSize is not null && meter.Aggregation is not (Grains.Abstractions.AggregationType.Max or Grains.Abstractions.AggregationType.Sum))
        {
            return "Invalid bucket_size: only MAX and SUM aggregations take one";
        }

        if (meter.GroupBy is not null && meter.Aggregation == Grains.Abstractions.AggregationType.Latest)
        {
            return "Invalid group_by: LATEST cannot be grouped";
        }

        return null;
    }

    /// <summary>The range a usage query covers: [start, end), end defaulting to now (or start + 7 days for a start in the future), start to end − 7 days.</summary>
    public static bool TryRange(DateTime? start, DateTime? end, DateTime now, out DateTime startTime, out DateTime endTime, out string error)
    {
        endTime = end ?? (start is { } s && s > now ? s + DefaultRange : now);
        startTime = start ?? endTime - DefaultRange;
        error = endTime <= startTime ? "Invalid range: end_time must be after start_time" : "";
        return error.Length == 0;
    }

    /// <summary>A window size by its wire name; null when absent or empty.</summary>
    public static bool TryWindow(string? text, string name, out WindowSize? window, out string error)
    {
        window = null;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!WindowSizeNames.TryParse(text, out var parsed))
        {
            error = $"Invalid {name} '{ErrorMessages.Echo(text)}': use one of {string.Join(", ", WindowSizeNames.WireNames)}";
            return false;
        }

        window = parsed;
        return true;
    }

    public static bool TryZone(string id, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    public static bool TryTime(string? text, string name, out DateTime? value, out string error)
    {
        value = null;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            error = $"Invalid {name} '{ErrorMessages.Echo(text)}': use RFC 3339, e.g. 2025-08-22T07:05:49Z";
            return false;
        }

        value = parsed.UtcDateTime;
        return true;
    }

    private static bool TryFilters(JsonElement json, out ImmutableArray<MeterFilter> filters, out string error)
    {
        var list = ImmutableArray.CreateBuilder<MeterFilter>();
        filters = [];
        error = "";
        if (!json.TryGetProperty("filters", out var f) || f.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (f.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in f.EnumerateObject())
            {
                if (!TryValues(property.Value, out var values))
                {
                    error = $"Invalid filters: the values of '{ErrorMessages.Echo(property.Name)}' must be a list of strings or numbers";
                    return false;
                }

                list.Add(new MeterFilter(property.Name, [.. values]));
            }

            filters = list.ToImmutable();
            return true;
        }

        if (f.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in f.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("values", out var valuesJson) || !TryValues(valuesJson, out var values))
                {
                    error = "Invalid filters: each filter is {\"key\": \"…\", \"values\": [\"…\"]}";
                    return false;
                }

                list.Add(new MeterFilter(key.GetString()!, [.. values]));
            }

            filters = list.ToImmutable();
            return true;
        }

        error = "Invalid filters: an object {\"key\": [\"v\"]} or a list [{\"key\", \"values\"}]";
        return false;
    }

    private static bool TryValues(JsonElement json, out List<string> values)
    {
        values = [];
        var items = json.ValueKind == JsonValueKind.Array ? json.EnumerateArray().ToList() : [json];
        foreach (var item in items)
        {
            switch (item.ValueKind)
            {
                case JsonValueKind.String:
                    values.Add(item.GetString()!);
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    values.Add(item.GetRawText());
                    break;
                default:
                    return false;
            }
        }

        return true;
    }
}
