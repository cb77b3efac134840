using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Flexprice.Api.Debugger;

/// <summary>The event debugger: list stored events, look one up and see what it fed, and see refused requests.</summary>
public static class EventDebuggerApi
{
    public const int MaxPageSize = EventListQuery.MaxPageSize;

    public static RouteGroupBuilder MapEventDebuggerApi(this RouteGroupBuilder v1)
    {
        var events = v1.MapGroup("/events").WithTags("Event debugger");

        events.MapGet("/", List)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("ListEvents")
            .WithSummary("The tenant's stored events, newest first; keyset pages through iter_last_key (older) or iter_first_key (newer)")
            .Produces<EventListResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);

        events.MapPost("/query", Query)
            .RateLimited(RateLimitedRoute.Reads)
            .WithRequestExample("""{"external_customer_id": "cust-test-customer", "event_name": "model.usage", "start_time": "2025-08-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z", "property_filters": {"model": ["gpt-4o"]}, "page_size": 20, "order": "desc"}""")
            .WithName("QueryEvents")
            .WithSummary("Flexprice's listing of raw events: GET /v1/events with the filters in the body (and property_filters)")
            .DocumentsBody<EventQueryRequest>()
            .Produces<EventListResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);

        events.MapGet("/lookup", Lookup)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("LookupEvent")
            .WithSummary("One stored event by id, its status, and the quantity it contributed to each feature")
            .Produces<EventLookupResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        events.MapGet("/rejections", Rejections)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("ListRejections")
            .WithSummary("The tenant's last 1000 refused ingestion requests, newest first: time, status, reason, first bytes")
            .Produces<RejectionListResponse>();

        // After the literal routes: /lookup and /rejections win over an event whose id is "lookup" (use /lookup?id=lookup for it).
        events.MapGet("/{id}", Get)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetEvent")
            .WithSummary("One stored event by id (Flexprice's route): as /v1/events/lookup?id=…")
            .Produces<EventLookupResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> List(
        HttpContext http,
        EventQueries log,
        CustomerStore store,
        [FromQuery(Name = "external_customer_id")] string? externalCustomerId,
        [FromQuery(Name = "customer_id")] string? customerId,
        [FromQuery(Name = "event_name")] string? eventName,
        [FromQuery(Name = "event_id")] string? eventId,
        [FromQuery(Name = "source")] string? source,
        [FromQuery(Name = "start_time")] string? startTime,
        [FromQuery(Name = "end_time")] string? endTime,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "offset")] string? offset,
        [FromQuery(Name = "iter_first_key")] string? iterFirstKey,
        [FromQuery(Name = "iter_last_key")] string? iterLastKey,
        [FromQuery(Name = "sort")] string? sort,
        [FromQuery(Name = "order")] string? order)
    {
        if ((InputLimits.CheckParameter(externalCustomerId, "external_customer_id", InputLimits.MaxIdLength) ?? InputLimits.CheckParameter(customerId, "customer_id", InputLimits.MaxIdLength)
            ?? InputLimits.CheckParameter(eventName, "event_name") ?? InputLimits.CheckParameter(eventId, "event_id", InputLimits.MaxIdLength)
            ?? InputLimits.CheckParameter(source, "source") ?? InputLimits.CheckParameter(sort, "sort", 64) ?? InputLimits.CheckParameter(order, "order", 64)) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        if (!UsageRequest.TryTime(startTime, "start_time", out var start, out var error) || !UsageRequest.TryTime(endTime, "end_time", out var end, out error)
            || !InputLimits.TryInteger(offset, "offset", 0, EventListQuery.MaxOffset, out var skip, out error))
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

        return await EventListQuery.AnswerAsync(http, log, store, new EventListQuery(
            externalCustomerId, customerId, eventName, eventId, source, start, end, size, skip, iterFirstKey, iterLastKey, sort, order, null));
    }

    private static async Task<IResult> Query(HttpContext http, EventQueries log, CustomerStore store)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        EventListQuery query;
        using (document)
        {
            if (!EventQueryRequest.TryRead(document.RootElement, out query, out var message))
            {
                return Errors.BadRequest(message);
            }
        }

        return await EventListQuery.AnswerAsync(http, log, store, query);
    }

    private static async Task<IResult> Get(
        HttpContext http, EventQueries log, IGrainFactory grains, string id, [FromQuery(Name = "external_customer_id")] string? externalCustomerId) =>
        await Lookup(http, log, grains, RawRouteValue.Unescaped(http, id), externalCustomerId);

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
        var found = await log.LookupAsync(tenantId, id, string.IsNullOrEmpty(externalCustomerId) ? null : externalCustomerId, http.RequestAborted);
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
        var processed = new List<ProcessedEventResponse>();
        foreach (var feature in snapshot.FeaturesFor(stored.EventName))
        {
            if (feature.Meter.Accepts(properties.RootElement)
                && PropertyReader.TryRead(properties.RootElement, feature, out var input, out _))
            {
                object quantity = feature.Meter.Aggregation switch
                {
                    AggregationType.Count => 1m,
                    AggregationType.Latest => input.Text is { } text ? text : input.Number,
                    AggregationType.CountUnique => properties.RootElement.GetProperty(feature.Meter.Field!).ToString(),
                    _ => input.Number,
                };
                fed.Add(new FeatureContributionResponse(feature.Id, feature.Name, feature.MeterId, feature.Meter.Aggregation.ToWireName(), quantity));

                // Flexprice's qty_total is a decimal: an event counts 1 toward COUNT and COUNT_UNIQUE, its value toward the rest.
                var total = feature.Meter.Aggregation is AggregationType.Count or AggregationType.CountUnique
                    ? "1"
                    : input.Text ?? DecimalText.Of(input.Number);
                processed.Add(new ProcessedEventResponse(feature.Id, feature.MeterId, stored.CustomerId, total, stored.IngestedAt));
            }
        }

        return TypedResults.Ok(new EventLookupResponse(EventListQuery.ToResponse(stored), "processed", fed, processed));
    }

    private static async Task<IResult> Rejections(HttpContext http, IGrainFactory grains)
    {
        var rejections = await grains.GetGrain<IRejectionLogGrain>(http.Caller().TenantId).List();
        return TypedResults.Ok(new RejectionListResponse(
            [.. rejections.Select(r => new RejectionResponse(r.Time.UtcDateTime, r.Route, r.Status, r.Reason, r.RequestHead))]));
    }
}
