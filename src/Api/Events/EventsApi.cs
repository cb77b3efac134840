using System.Text.Json;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;

namespace Flexprice.Api.Events;

/// <summary>
/// The spec's ingestion routes: <c>POST /v1/events</c> and <c>POST /v1/events/bulk</c>. Both read their events,
/// then share one core (<see cref="IngestAsync"/>): validation against the tenant's features, the
/// <c>Idempotency-Key</c>, and the customers' grains.
/// </summary>
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
            .WithSummary("Send one usage event; 202 once it is durably stored. An Idempotency-Key header makes a retry without event_id safe")
            .MeasuredAs("/v1/events")
            .RateLimited(RateLimitedRoute.Events)
            .AddEndpointFilter<RejectionRecorder>()
            .DocumentsBody<EventRequest>()
            .WithRequestExample("""{"event_id": "evt_abc123", "event_name": "model.usage", "external_customer_id": "cust-test-customer", "timestamp": "2025-08-22T07:05:49.441Z", "source": "api", "properties": {"credits": 2, "model": "gpt-4o"}}""")
            .Produces<EventAcceptedResponse>(StatusCodes.Status202Accepted)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

        events.MapPost("/bulk", IngestBulk)
            .WithName("IngestEventsBulk")
            .WithSummary("Send 1 to 1000 events; all are stored, or none. Prefer: return=representation adds event_ids and duplicates")
            .MeasuredAs("/v1/events/bulk")
            .RateLimited(RateLimitedRoute.Bulk)
            .AddEndpointFilter<RejectionRecorder>()
            .DocumentsBody<BulkEventRequest>()
            .WithRequestExample("""{"events": [{"event_name": "model.usage", "external_customer_id": "cust-test-customer", "properties": {"credits": 2}}, {"event_name": "model.usage", "external_customer_id": "cust-another-customer", "properties": {"credits": 5}}]}""")
            .Produces<BulkEventsAcceptedResponse>(StatusCodes.Status202Accepted)
            .Produces<BulkErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<BulkErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<BulkErrorResponse>(StatusCodes.Status503ServiceUnavailable);

        return v1;
    }

    private static async Task<IResult> IngestOne(HttpContext http, [AsParameters] IngestionServices services)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            var outcome = await IngestAsync(http, services, IngestRoute.Single, [document.RootElement]);
            return outcome.Answer ?? TypedResults.Json(new EventAcceptedResponse(outcome.Events[0].Event.EventId, EventAccepted), statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static async Task<IResult> IngestBulk(HttpContext http, [AsParameters] IngestionServices services)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request, RequestBodies.BulkLimit);
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

            var outcome = await IngestAsync(http, services, IngestRoute.Bulk, [.. events.EnumerateArray()]);
            if (outcome.Answer is null)
            {
                services.Metrics.Bulk(count);
            }

            if (outcome.Answer is { } refused)
            {
                return refused;
            }

            // RFC 7240: the ids (and how many were already stored) only for clients that ask for them, so that
            // Flexprice's SDKs, which read the body as a map of strings, get Flexprice's own answer.
            if (!Preferences.WantsRepresentation(http.Request))
            {
                return TypedResults.Json(new BulkEventsAcceptedResponse(EventsAccepted), statusCode: StatusCodes.Status202Accepted);
            }

            http.Response.Headers["Preference-Applied"] = Preferences.ReturnRepresentation;
            return TypedResults.Json(
                new BulkEventsAcceptedResponse(EventsAccepted, [.. outcome.Events.Select(e => e.Event.EventId)], outcome.Verdict!.Duplicates),
                statusCode: StatusCodes.Status202Accepted);
        }
    }

    /// <summary>
    /// The core of both routes: each event checked at the door (the first bad one refuses the request), server-made
    /// ids derived from the <c>Idempotency-Key</c> when there is one, then the customers' grains. <see cref="IngestOutcome.Answer"/>
    /// is the refusal to send, or null when every event is stored (or was already).
    /// </summary>
    private static async Task<IngestOutcome> IngestAsync(HttpContext http, IngestionServices services, IngestRoute route, IReadOnlyList<JsonElement> json)
    {
        var tenantId = http.Caller().TenantId;
        var catalog = await services.Catalogs.ForCallerAsync(http);
        var parsed = new List<ParsedEvent>(json.Count);
        var invalid = new List<IndexedError>();
        for (var index = 0; index < json.Count; index++)
        {
            if (EventParser.TryParse(json[index], catalog, services.Time, out var e, out var message))
            {
                parsed.Add(e);
            }
            else
            {
                invalid.Add(new IndexedError(index, message));
            }
        }

        if (invalid.Count > 0)
        {
            return Refuse(route, StatusCodes.Status400BadRequest, invalid);
        }

        if (http.Request.Headers.ContainsKey(IdempotencyKey.HeaderName))
        {
            var (keyed, keyError) = await services.IdempotencyKeys.ApplyAsync(http, tenantId, route, parsed);
            if (keyed is null)
            {
                return new IngestOutcome(parsed, null, keyError);
            }

            parsed = keyed;
        }

        IngestVerdict verdict;
        try
        {
            verdict = await services.Ingestion.IngestAsync(tenantId, catalog.Version, parsed);
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            services.Logger.LogWarning(ex, "Storing {Count} events for tenant {Tenant} failed", parsed.Count, tenantId);
            return new IngestOutcome(parsed, null, Errors.Unavailable(http, ErrorMessages.StorageUnavailable));
        }

        if (verdict.IsAccepted)
        {
            return new IngestOutcome(parsed, verdict, null);
        }

        if (verdict.Unavailable)
        {
            http.Response.Headers.RetryAfter = "1";
        }

        var status = verdict.Unavailable ? StatusCodes.Status503ServiceUnavailable
            : verdict.ConflictsOnly ? StatusCodes.Status409Conflict
            : StatusCodes.Status400BadRequest;
        var outcomes = verdict.Partial
            ? parsed.Select((e, index) => new EventOutcomeResponse(index, e.Event.EventId, verdict.Statuses[index])).ToList()
            : null;
        return Refuse(route, status, verdict.Errors, outcomes) with { Verdict = verdict };

        IngestOutcome Refuse(IngestRoute on, int status, IReadOnlyList<IndexedError> errors, IReadOnlyList<EventOutcomeResponse>? outcomes = null) =>
            new(parsed, null, on == IngestRoute.Single
                ? Errors.Status(status, errors[0].Error)
                : TypedResults.Json(BulkErrorResponse.For(status, errors, outcomes), statusCode: status));
    }

    /// <summary>What the core made of a request: its events as stored, the verdict, or the answer that refuses it.</summary>
    private sealed record IngestOutcome(IReadOnlyList<ParsedEvent> Events, IngestVerdict? Verdict, IResult? Answer);

    /// <summary>What both routes need, gathered.</summary>
    public sealed record IngestionServices(
        CatalogCache Catalogs, IngestionService Ingestion, IdempotencyKey IdempotencyKeys, IngestionMetrics Metrics, TimeProvider Time, ILogger<IngestionService> Logger);
}
