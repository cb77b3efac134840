using System.Text;
using System.Text.Json;
using Flexprice.Api.Contracts;
using Flexprice.Api.Infrastructure;
using Flexprice.Api.Usage;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Flexprice.Api.Endpoints;

/// <summary>The event debugger: list stored events, look one up and see what it fed, and see refused requests.</summary>
public static class EventDebuggerApi
{
    public const int MaxPageSize = 50;

    public static RouteGroupBuilder MapEventDebuggerApi(this RouteGroupBuilder v1)
    {
        var events = v1.MapGroup("/events").WithTags("Event debugger");

        events.MapGet("/", List)
            .WithName("ListEvents")
            .WithSummary("The tenant's stored events, newest first; keyset pages through iter_last_key (older) or iter_first_key (newer)")
            .Produces<EventListResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);

        events.MapGet("/lookup", Lookup)
            .WithName("LookupEvent")
            .WithSummary("One stored event by id, its status, and the quantity it contributed to each feature")
            .Produces<EventLookupResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        events.MapGet("/rejections", Rejections)
            .WithName("ListRejections")
            .WithSummary("The tenant's last 1000 refused ingestion requests, newest first: time, status, reason, first bytes")
            .Produces<RejectionListResponse>();

        return v1;
    }

    private static async Task<IResult> List(
        HttpContext http,
        EventQueries log,
        [FromQuery(Name = "external_customer_id")] string? externalCustomerId,
        [FromQuery(Name = "event_name")] string? eventName,
        [FromQuery(Name = "event_id")] string? eventId,
        [FromQuery(Name = "source")] string? source,
        [FromQuery(Name = "start_time")] string? startTime,
        [FromQuery(Name = "end_time")] string? endTime,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "iter_first_key")] string? iterFirstKey,
        [FromQuery(Name = "iter_last_key")] string? iterLastKey)
    {
        if ((InputLimits.CheckParameter(externalCustomerId, "external_customer_id", InputLimits.MaxIdLength) ?? InputLimits.CheckParameter(eventName, "event_name")
            ?? InputLimits.CheckParameter(eventId, "event_id", InputLimits.MaxIdLength) ?? InputLimits.CheckParameter(source, "source")) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        if (!UsageRequest.TryTime(startTime, "start_time", out var start, out var error) || !UsageRequest.TryTime(endTime, "end_time", out var end, out error))
        {
            return Errors.BadRequest(error);
        }

        int? size = null;
        if (!string.IsNullOrEmpty(pageSize))
        {
            if (!int.TryParse(pageSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > MaxPageSize)
            {
                return Errors.BadRequest($"Invalid page_size: 1 to {MaxPageSize}");
            }

            size = parsed;
        }

        EventListKey? before = null, after = null;
        if ((!string.IsNullOrEmpty(iterLastKey) && !TryDecode(iterLastKey, out before)) || (!string.IsNullOrEmpty(iterFirstKey) && !TryDecode(iterFirstKey, out after)))
        {
            return Errors.BadRequest("Invalid iter_first_key or iter_last_key: pass a key from a previous page");
        }

        var filter = new EventListFilter(Empty(externalCustomerId), Empty(eventName), Empty(eventId), Empty(source), start, end, before, after);
        var events = await log.ListAsync(http.Caller().TenantId, filter, (size ?? MaxPageSize) + 1, http.RequestAborted);
        var total = await log.CountAsync(http.Caller().TenantId, filter, http.RequestAborted);
        var hasMore = events.Count > (size ?? MaxPageSize);
        if (hasMore)
        {
            // Newest first; paging newer (iter_first_key) the extra row is the newest, else the oldest.
            events.RemoveAt(after is not null && before is null ? 0 : events.Count - 1);
        }

        return TypedResults.Ok(new EventListResponse(
            [.. events.Select(ToResponse)],
            hasMore,
            events.Count > 0 ? Encode(events[0]) : null,
            events.Count > 0 ? Encode(events[^1]) : null,
            total));
    }

    private static async Task<IResult> Lookup(
        HttpContext http,
        EventQueries log,
        IGrainFactory grains,
        [FromQuery(Name = "id")] string? id,
        [FromQuery(Name = "external_customer_id")] string? externalCustomerId)
    {
        if (string.IsNullOrEmpty(id))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("id"));
        }

        if ((InputLimits.CheckParameter(id, "id", InputLimits.MaxIdLength) ?? InputLimits.CheckParameter(externalCustomerId, "external_customer_id", InputLimits.MaxIdLength)) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        var tenantId = http.Caller().TenantId;
        var found = await log.LookupAsync(tenantId, id, Empty(externalCustomerId), http.RequestAborted);
        if (found.Count == 0)
        {
            return Errors.NotFound($"Event '{ErrorMessages.Echo(id)}' not found");
        }

        if (found.Count > 1)
        {
            return Errors.BadRequest($"Event id '{ErrorMessages.Echo(id)}' is used by several customers ({ErrorMessages.Echo(string.Join(", ", found.Select(e => e.ExternalCustomerId)))}): give external_customer_id");
        }

        var stored = found[0];
        var snapshot = await grains.GetGrain<ITenantCatalogGrain>(tenantId).GetSnapshot();
        using var properties = JsonDocument.Parse(stored.PropertiesJson);
        var fed = new List<FeatureContributionResponse>();
        foreach (var feature in snapshot.FeaturesFor(stored.EventName))
        {
            if (UsageCalculator.Matches(FeatureMeter.Of(feature), properties.RootElement)
                && PropertyReader.TryRead(properties.RootElement, feature, out var input, out _))
            {
                object quantity = feature.Aggregation switch
                {
                    AggregationType.Count => 1m,
                    AggregationType.Latest => input.Text is { } text ? text : input.Number,
                    AggregationType.CountUnique => properties.RootElement.GetProperty(feature.Field!).ToString(),
                    _ => input.Number,
                };
                fed.Add(new FeatureContributionResponse(feature.Id, feature.Name, feature.MeterId, feature.Aggregation.ToWireName(), quantity));
            }
        }

        return TypedResults.Ok(new EventLookupResponse(ToResponse(stored), "processed", fed));
    }

    private static async Task<IResult> Rejections(HttpContext http, IGrainFactory grains)
    {
        var rejections = await grains.GetGrain<IRejectionLogGrain>(http.Caller().TenantId).List();
        return TypedResults.Ok(new RejectionListResponse(
            [.. rejections.Select(r => new RejectionResponse(r.Time.UtcDateTime, r.Route, r.Status, r.Reason, r.RequestHead))]));
    }

    private static StoredEventResponse ToResponse(StoredEvent e)
    {
        using var properties = JsonDocument.Parse(e.PropertiesJson);
        return new StoredEventResponse(e.EventId, e.ExternalCustomerId, e.CustomerId, e.EventName, e.Timestamp, e.Source, properties.RootElement.Clone(), e.IngestedAt);
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Encode(StoredEvent e) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object[] { e.Timestamp.Ticks, e.EventId, e.ExternalCustomerId })))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecode(string key, out EventListKey? value)
    {
        value = null;
        try
        {
            var base64 = key.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - (base64.Length % 4)) % 4);
            using var document = JsonDocument.Parse(Convert.FromBase64String(base64));
            var root = document.RootElement;
            value = new EventListKey(new DateTime(root[0].GetInt64(), DateTimeKind.Utc), root[1].GetString()!, root[2].GetString()!);
            return key.Length <= 2048 && JsonText.IsStorable(value.EventId) && JsonText.IsStorable(value.ExternalCustomerId);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentNullException or KeyNotFoundException)
        {
            return false;
        }
    }
}
