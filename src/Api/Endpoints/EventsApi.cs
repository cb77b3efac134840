using System.Text.Json;
using Flexprice.Api.Contracts;
using Flexprice.Api.Infrastructure;
using Flexprice.Api.Ingestion;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;

namespace Flexprice.Api.Endpoints;

/// <summary>The spec's ingestion routes: <c>POST /v1/events</c> and <c>POST /v1/events/bulk</c>.</summary>
public static class EventsApi
{
    public const int MaxBulkEvents = 1000;
    public const string EventAccepted = "Event accepted for processing";
    public const string EventsAccepted = "Events accepted for processing";

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder v1)
    {
        var events = v1.MapGroup("/events").WithTags("Events");

        events.MapPost("/", IngestOne)
            .WithName("IngestEvent")
            .WithSummary("Send one usage event; 202 once it is durably stored")
            .MeasuredAs("/v1/events")
            .RateLimited(RateLimitedRoute.Events)
            .AddEndpointFilter<RejectionRecorder>()
            .DocumentsBody<EventRequest>()
            .WithRequestExample("""{"event_id": "evt_abc123", "event_name": "model.usage", "external_customer_id": "cust-test-customer", "timestamp": "2025-08-22T07:05:49.441Z", "source": "api", "properties": {"credits": 2, "model": "gpt-4o"}}""")
            .Produces<EventAcceptedResponse>(StatusCodes.Status202Accepted)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

        events.MapPost("/bulk", IngestBulk)
            .WithName("IngestEventsBulk")
            .WithSummary("Send 1 to 1000 events; all are stored, or none")
            .MeasuredAs("/v1/events/bulk")
            .RateLimited(RateLimitedRoute.Bulk)
            .AddEndpointFilter<RejectionRecorder>()
            .DocumentsBody<BulkEventRequest>()
            .WithRequestExample("""{"events": [{"event_name": "model.usage", "external_customer_id": "cust-test-customer", "properties": {"credits": 2}}, {"event_name": "model.usage", "external_customer_id": "cust-another-customer", "properties": {"credits": 5}}]}""")
            .Produces<BulkEventsAcceptedResponse>(StatusCodes.Status202Accepted)
            .Produces<BulkErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<BulkErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

        return v1;
    }

    private static async Task<IResult> IngestOne(HttpContext http, GrainRefs grains, IngestionService ingestion, TimeProvider time, ILoggerFactory loggers)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            var tenantId = http.Caller().TenantId;
            var catalog = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
            if (!EventParser.TryParse(document.RootElement, catalog, time, out var parsed, out var message))
            {
                return Errors.BadRequest(message);
            }

            IngestVerdict verdict;
            try
            {
                verdict = await ingestion.IngestAsync(tenantId, catalog.Version, [parsed]);
            }
            catch (Exception ex)
            {
                loggers.CreateLogger(typeof(EventsApi)).LogError(ex, "Storing event {EventId} for tenant {Tenant} failed", parsed.Event.EventId, tenantId);
                return Errors.Unavailable(http, ErrorMessages.StorageUnavailable);
            }

            if (!verdict.IsAccepted)
            {
                var first = verdict.Errors[0].Error;
                return verdict.ConflictsOnly ? Errors.Conflict(first) : Errors.BadRequest(first);
            }

            return TypedResults.Json(new EventAcceptedResponse(parsed.Event.EventId, EventAccepted), statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static async Task<IResult> IngestBulk(HttpContext http, GrainRefs grains, IngestionService ingestion, TimeProvider time, ILoggerFactory loggers)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("events", out var events) || events.ValueKind == JsonValueKind.Null)
            {
                return Errors.BadRequest(ErrorMessages.MissingField("events"));
            }

            if (events.ValueKind != JsonValueKind.Array)
            {
                return Errors.BadRequest("Invalid field: events must be an array");
            }

            var count = events.GetArrayLength();
            if (count is 0 or > MaxBulkEvents)
            {
                return Errors.BadRequest($"A bulk request holds 1 to {MaxBulkEvents} events; this one has {count}");
            }

            var tenantId = http.Caller().TenantId;
            var catalog = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
            var parsed = new List<ParsedEvent>(count);
            var invalid = new List<IndexedError>();
            var index = 0;
            foreach (var json in events.EnumerateArray())
            {
                if (EventParser.TryParse(json, catalog, time, out var e, out var message))
                {
                    parsed.Add(e);
                }
                else
                {
                    invalid.Add(new IndexedError(index, message));
                }

                index++;
            }

            if (invalid.Count > 0)
            {
                return TypedResults.BadRequest(new BulkErrorResponse(invalid[0].Error, invalid));
            }

            IngestVerdict verdict;
            try
            {
                verdict = await ingestion.IngestAsync(tenantId, catalog.Version, parsed);
            }
            catch (Exception ex)
            {
                loggers.CreateLogger(typeof(EventsApi)).LogError(ex, "Storing a bulk of {Count} events for tenant {Tenant} failed", count, tenantId);
                return Errors.Unavailable(http, ErrorMessages.StorageUnavailable);
            }

            if (!verdict.IsAccepted)
            {
                var body = new BulkErrorResponse(verdict.Errors[0].Error, verdict.Errors);
                return verdict.ConflictsOnly ? TypedResults.Conflict(body) : TypedResults.BadRequest(body);
            }

            return TypedResults.Json(
                new BulkEventsAcceptedResponse(EventsAccepted, [.. parsed.Select(e => e.Event.EventId)]),
                statusCode: StatusCodes.Status202Accepted);
        }
    }
}
