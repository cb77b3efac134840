using System.Text.Json;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Debugger;

/// <summary>
/// The body of <c>POST /v1/events/query</c>, Flexprice's <c>GetEventsRequest</c>: the filters of <c>GET /v1/events</c>, and
/// <see cref="PropertyFilters"/>. Read strictly field by field (a value of the wrong type is a 400 naming it).
/// </summary>
/// <param name="CustomerId">Flexprice's customer id (<c>cust_…</c>), instead of or with <see cref="ExternalCustomerId"/>; 400 when the tenant has no such customer.</param>
/// <param name="StartTime">RFC 3339, inclusive; none: no lower bound.</param>
/// <param name="EndTime">RFC 3339, exclusive; none: no upper bound.</param>
/// <param name="PropertyFilters">Events whose property equals one of the values (compared as text), for every key: <c>{"model": ["gpt-4o", "o1"]}</c>.</param>
/// <param name="PageSize">1 to 50; 0 or none: 50.</param>
/// <param name="Offset">Events skipped before the page, 0 to 100,000.</param>
/// <param name="Sort"><c>timestamp</c> (default) or <c>event_name</c>.</param>
/// <param name="Order"><c>desc</c> (default) or <c>asc</c>.</param>
public sealed record EventQueryRequest(
    string? ExternalCustomerId,
    string? CustomerId,
    string? EventName,
    string? EventId,
    string? Source,
    string? StartTime,
    string? EndTime,
    string? IterFirstKey,
    string? IterLastKey,
    Dictionary<string, IReadOnlyList<string>>? PropertyFilters,
    int? PageSize,
    int? Offset,
    string? Sort,
    string? Order)
{
    private const int MaxKeyLength = 2048;

    public static bool TryRead(JsonElement json, out EventListQuery query, out string error)
    {
        query = null!;
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, max) in TextFields)
        {
            if (!JsonFields.TryString(json, name, max, out var value, out error))
            {
                return false;
            }

            texts[name] = value;
        }

        if (!UsageRequest.TryTime(texts["start_time"], "start_time", out var start, out error) || !UsageRequest.TryTime(texts["end_time"], "end_time", out var end, out error)
            || !JsonFields.TryInteger(json, "page_size", 0, EventListQuery.MaxPageSize, out var pageSize, out error)
            || !JsonFields.TryInteger(json, "offset", 0, EventListQuery.MaxOffset, out var offset, out error)
            || !JsonFields.TryStringLists(json, "property_filters", out var properties, out error))
        {
            return false;
        }

        query = new EventListQuery(
            texts["external_customer_id"], texts["customer_id"], texts["event_name"], texts["event_id"], texts["source"], start, end, pageSize, offset,
            texts["iter_first_key"], texts["iter_last_key"], texts["sort"], texts["order"],
            properties?.Select(p => new PropertyMatch(p.Key, p.Values)).ToList());
        return true;
    }

    private static readonly (string Name, int Max)[] TextFields =
    [
        ("external_customer_id", InputLimits.MaxIdLength), ("customer_id", InputLimits.MaxIdLength), ("event_name", InputLimits.MaxNameLength),
        ("event_id", InputLimits.MaxIdLength), ("source", InputLimits.MaxNameLength), ("start_time", 64), ("end_time", 64),
        ("iter_first_key", MaxKeyLength), ("iter_last_key", MaxKeyLength), ("sort", 64), ("order", 64),
    ];
}
