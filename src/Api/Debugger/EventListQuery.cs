using System.Text;
using System.Text.Json;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Debugger;

/// <summary>
/// A listing of the tenant's stored events, as <c>GET /v1/events</c> (query string) and <c>POST /v1/events/query</c>
/// (Flexprice's body) ask for it: each route reads its fields into this, and <see cref="AnswerAsync"/> checks and
/// answers both the same way. Every criterion is optional; without a time range every stored event qualifies.
/// </summary>
/// <param name="PageSize">1 to <see cref="MaxPageSize"/>; null or 0: <see cref="MaxPageSize"/>.</param>
/// <param name="Offset">Rows skipped before the page (after the position of an iter key, when one is given).</param>
/// <param name="Sort"><c>timestamp</c> (default) or <c>event_name</c> (then by timestamp).</param>
/// <param name="Order"><c>desc</c> (default, newest first) or <c>asc</c>.</param>
public sealed record EventListQuery(
    string? ExternalCustomerId,
    string? CustomerId,
    string? EventName,
    string? EventId,
    string? Source,
    DateTime? Start,
    DateTime? End,
    int? PageSize,
    int? Offset,
    string? IterFirstKey,
    string? IterLastKey,
    string? Sort,
    string? Order,
    IReadOnlyList<PropertyMatch>? Properties)
{
    public const int MaxPageSize = 50;

    /// <summary>The deepest offset: deeper pages are reached with <c>iter_last_key</c>, which costs the same at any depth.</summary>
    public const int MaxOffset = 100_000;

    /// <summary>
    /// <c>total_count</c> counts at most this many events (then <c>total_count_capped</c> is true): counted once, on a
    /// listing's first page, and carried in the page keys to the pages after it.
    /// </summary>
    public const int MaxTotalCount = 100_000;

    public static async Task<IResult> AnswerAsync(HttpContext http, EventQueries log, CustomerStore store, EventListQuery query)
    {
        var byName = query.Sort switch
        {
            null or "" or "timestamp" => false,
            "event_name" => true,
            _ => (bool?)null,
        };
        if (byName is null)
        {
            return Errors.BadRequest($"Invalid sort '{ErrorMessages.Echo(query.Sort)}': use timestamp or event_name");
        }

        var ascending = query.Order?.ToLowerInvariant() switch
        {
            null or "" or "desc" => false,
            "asc" => true,
            _ => (bool?)null,
        };
        if (ascending is null)
        {
            return Errors.BadRequest($"Invalid order '{ErrorMessages.Echo(query.Order)}': use asc or desc");
        }

        EventListPosition? position = null;
        long? carriedTotal = null;
        if (!string.IsNullOrEmpty(query.IterLastKey) || !string.IsNullOrEmpty(query.IterFirstKey))
        {
            // iter_last_key goes on past a page's last event; iter_first_key back before its first.
            var forward = !string.IsNullOrEmpty(query.IterLastKey);
            if (!TryDecode(forward ? query.IterLastKey! : query.IterFirstKey!, out var key, out carriedTotal))
            {
                return Errors.BadRequest("Invalid iter_first_key or iter_last_key: pass a key from a previous page");
            }

            position = new EventListPosition(key, Backward: !forward);
        }

        var tenantId = http.Caller().TenantId;
        var (customer, refused) = await CustomerReference.ResolveAsync(store, tenantId, query.CustomerId, query.ExternalCustomerId, http.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        var size = query.PageSize is null or 0 ? MaxPageSize : query.PageSize.Value;
        var offset = query.Offset ?? 0;
        var filter = new EventListFilter(customer, Empty(query.EventName), Empty(query.EventId), Empty(query.Source), query.Start, query.End, query.Properties);
        var order = new EventListOrder(byName.Value, ascending.Value);
        var events = await log.ListAsync(tenantId, filter, order, position, size + 1, offset, http.RequestAborted);
        // Counted once per listing, at a bounded cost; the next pages carry it in their keys.
        var total = carriedTotal ?? await log.CountAsync(tenantId, filter, MaxTotalCount + 1, http.RequestAborted);
        var capped = total > MaxTotalCount;
        total = Math.Min(total, MaxTotalCount);
        var hasMore = events.Count > size;
        if (hasMore)
        {
            // The extra row is the farthest from where the page starts.
            events.RemoveAt(position is { Backward: true } ? 0 : events.Count - 1);
        }

        return TypedResults.Ok(new EventListResponse(
            [.. events.Select(ToResponse)],
            hasMore,
            events.Count > 0 ? Encode(events[0], capped ? MaxTotalCount + 1 : total) : null,
            events.Count > 0 ? Encode(events[^1], capped ? MaxTotalCount + 1 : total) : null,
            total,
            offset)
        {
            TotalCountCapped = capped,
        });
    }

    public static StoredEventResponse ToResponse(StoredEvent e)
    {
        using var properties = JsonDocument.Parse(e.PropertiesJson);
        return new StoredEventResponse(e.EventId, e.ExternalCustomerId, e.CustomerId, e.EventName, e.Timestamp, e.Source, properties.RootElement.Clone(), e.IngestedAt);
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Encode(StoredEvent e, long total) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object[] { e.Timestamp.Ticks, e.EventId, e.ExternalCustomerId, e.EventName, total })))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecode(string key, out EventListKey value, out long? total)
    {
        value = null!;
        total = null;
        try
        {
            var base64 = key.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - (base64.Length % 4)) % 4);
            using var document = JsonDocument.Parse(Convert.FromBase64String(base64));
            var root = document.RootElement;
            // Keys of three elements come from pages answered before listings could sort by name; of four, before
            // they carried the listing's count (then it is counted again).
            value = new EventListKey(
                new DateTime(root[0].GetInt64(), DateTimeKind.Utc), root[1].GetString()!, root[2].GetString()!, root.GetArrayLength() > 3 ? root[3].GetString()! : "");
            total = root.GetArrayLength() > 4 ? Math.Clamp(root[4].GetInt64(), 0, MaxTotalCount + 1) : null;
            return key.Length <= 2048 && JsonText.IsStorable(value.EventId) && JsonText.IsStorable(value.ExternalCustomerId) && JsonText.IsStorable(value.EventName);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentNullException or KeyNotFoundException)
        {
            return false;
        }
    }
}
