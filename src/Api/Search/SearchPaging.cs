using System.Text.Json;

namespace Flexprice.Api.Search;

/// <summary>A field a search sorts by, and the direction.</summary>
public readonly record struct SearchSort(string Field, bool Descending);

/// <summary>
/// What Flexprice's search bodies (<c>POST /v1/customers/search</c>, <c>POST /v1/features/search</c>) share: <c>limit</c>
/// (1 to 1000, default 50), <c>offset</c>, <c>order</c> (<c>asc</c>/<c>desc</c>, default <c>desc</c>) or <c>sort</c>
/// (<c>[{"field", "direction"}]</c>, default: created_at in <c>order</c>), <c>status</c>, and <c>start_time</c>/<c>end_time</c>
/// on the creation time ([start, end)). Flexprice's generic <c>filters</c> (conditions with operators) are refused, never
/// ignored; <c>expand</c> is accepted and changes nothing (nested records are always included).
/// </summary>
/// <param name="AnyStatus">False when <c>status</c> asks for archived or deleted records: there are none here, every record is published.</param>
public sealed record SearchPaging(int Limit, int Offset, IReadOnlyList<SearchSort> Sort, bool AnyStatus, DateTime? CreatedFrom, DateTime? CreatedTo)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
    public const string CreatedAt = "created_at";

    private static readonly string[] Statuses = [FlexpriceFields.Published, "archived", "deleted"];

    /// <summary>Reads the shared fields; <paramref name="sortFields"/> are the fields this search sorts by.</summary>
    public static bool TryRead(JsonElement json, IReadOnlyCollection<string> sortFields, out SearchPaging paging, out string error)
    {
        paging = null!;
        if (!JsonFields.TryInteger(json, "limit", 0, MaxLimit, out var limit, out error) || !JsonFields.TryInteger(json, "offset", 0, int.MaxValue, out var offset, out error)
            || !JsonFields.TryString(json, "order", 64, out var order, out error) || !JsonFields.TryString(json, "status", 64, out var status, out error)
            || !JsonFields.TryString(json, "start_time", 64, out var startText, out error) || !JsonFields.TryString(json, "end_time", 64, out var endText, out error)
            || !UsageRequest.TryTime(startText, "start_time", out var start, out error) || !UsageRequest.TryTime(endText, "end_time", out var end, out error))
        {
            return false;
        }

        // Flexprice's filters take expand as one string ("parent_customer,meters").
        if (!JsonFields.TryString(json, "expand", InputLimits.MaxNameLength, out _, out error))
        {
            return false;
        }

        if (JsonFields.TryGet(json, "filters", out var filters) && (filters.ValueKind != JsonValueKind.Array || filters.GetArrayLength() > 0))
        {
            error = "Invalid field: filters (filter conditions) are not supported here; use the named criteria";
            return false;
        }

        bool descending;
        switch (order?.ToLowerInvariant())
        {
            case null or "" or "desc":
                descending = true;
                break;
            case "asc":
                descending = false;
                break;
            default:
                error = $"Invalid order '{ErrorMessages.Echo(order)}': use asc or desc";
                return false;
        }

        if (status is { Length: > 0 } && !Statuses.Contains(status.ToLowerInvariant()))
        {
            error = $"Invalid status '{ErrorMessages.Echo(status)}': use {string.Join(", ", Statuses)}";
            return false;
        }

        var sort = new List<SearchSort>();
        if (JsonFields.TryGet(json, "sort", out var sortJson))
        {
            if (sortJson.ValueKind != JsonValueKind.Array || sortJson.GetArrayLength() > 8)
            {
                error = "Invalid field: sort must be a list of at most 8 {\"field\", \"direction\"}";
                return false;
            }

            foreach (var item in sortJson.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !JsonFields.TryString(item, "field", 64, out var field, out _) || !JsonFields.TryString(item, "direction", 64, out var direction, out _)
                    || field is null || !sortFields.Contains(field) || direction?.ToLowerInvariant() is not (null or "asc" or "desc"))
                {
                    error = $"Invalid field: sort: each is {{\"field\": one of {string.Join(", ", sortFields)}, \"direction\": \"asc\" or \"desc\"}}";
                    return false;
                }

                sort.Add(new SearchSort(field, direction is null ? descending : direction.Equals("desc", StringComparison.OrdinalIgnoreCase)));
            }
        }

        if (sort.Count == 0)
        {
            sort.Add(new SearchSort(CreatedAt, descending));
        }

        paging = new SearchPaging(
            limit is null or 0 ? DefaultLimit : limit.Value, offset ?? 0, sort, status is not { Length: > 0 } || status.Equals(FlexpriceFields.Published, StringComparison.OrdinalIgnoreCase),
            start, end);
        return true;
    }
}
