using System.Text.Json;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;
using Microsoft.AspNetCore.Http.HttpResults;

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

        // The routes' services are the application's singletons, taken once (at the first request): bound as the handlers'
        // parameters, each request would open a service scope (with its dictionary) to resolve them.
        var root = ((IEndpointRouteBuilder)v1).ServiceProvider;
        // PublicationOnly: a failed first resolution is tried again by the next request, not remembered.
        var services = new Lazy<IngestionServices>(() => IngestionServices.From(root), LazyThreadSafetyMode.PublicationOnly);

        events.MapPost("/", (Delegate)((HttpContext http) => IngestOne(http, services.Value)))
            .WithName("IngestEvent")
            .WithSummary("Send one usage event; 202 once it is durably stored. An Idempotency-Key header makes a retry without event_id safe")
            .WatchedAs("/v1/events")
            .RateLimited(RateLimitedRoute.Events)
            .DocumentsBody<EventRequest>()
            .WithRequestExample("""{"event_id": "evt_abc123", "event_name": "model.usage", "external_customer_id": "cust-test-customer", "timestamp": "2025-08-22T07:05:49.441Z", "source": "api", "properties": {"credits": 2, "model": "gpt-4o"}}""")
            // The key filter's answer; the handler's own are described by its result types.
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);

        events.MapPost("/bulk", (Delegate)((HttpContext http) => IngestBulk(http, services.Value)))
            .WithName("IngestEventsBulk")
            .WithSummary("Send 1 to 1000 events; all are stored, or none. Prefer: return=representation adds event_ids and duplicates")
            .WatchedAs("/v1/events/bulk")
            .RateLimited(RateLimitedRoute.Bulk)
            .DocumentsBody<BulkEventRequest>()
            .WithRequestExample("""{"events": [{"event_name": "model.usage", "external_customer_id": "cust-test-customer", "properties": {"credits": 2}}, {"event_name": "model.usage", "external_customer_id": "cust-another-customer", "properties": {"credits": 5}}]}""")
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);

        return v1;
    }

    private static async Task<Results<EventAccepted, BadRequest<ErrorResponse>, Conflict<ErrorResponse>, PayloadTooLarge<ErrorResponse>, ServiceUnavailable<ErrorResponse>, JsonHttpResult<ErrorResponse>>> IngestOne(
        HttpContext http, IngestionServices services)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return Refused(Refusal.Of(error!));
        }

        using (document)
        {
            var outcome = await IngestAsync(http, services, IngestRoute.Single, [document.RootElement]);
            return outcome.Refusal is { } refusal
                ? Refused(refusal)
                : new EventAccepted(outcome.Events[0].Event.EventId);
        }

        // One event: its refusal in the one error shape.
        static Results<EventAccepted, BadRequest<ErrorResponse>, Conflict<ErrorResponse>, PayloadTooLarge<ErrorResponse>, ServiceUnavailable<ErrorResponse>, JsonHttpResult<ErrorResponse>> Refused(Refusal refusal)
        {
            var body = refusal.Body ?? ErrorResponse.For(refusal.Status, refusal.Errors![0].Error);
            return refusal.Status switch
            {
                StatusCodes.Status400BadRequest => TypedResults.BadRequest(body),
                StatusCodes.Status409Conflict => TypedResults.Conflict(body),
                StatusCodes.Status413PayloadTooLarge => new PayloadTooLarge<ErrorResponse>(body),
                StatusCodes.Status503ServiceUnavailable => new ServiceUnavailable<ErrorResponse>(body),
                _ => TypedResults.Json(body, statusCode: refusal.Status),
            };
        }
    }

    private static async Task<Results<Accepted<BulkEventsAcceptedResponse>, BadRequest<BulkErrorResponse>, Conflict<BulkErrorResponse>, ServiceUnavailable<BulkErrorResponse>, PayloadTooLarge<ErrorResponse>, JsonHttpResult<ErrorResponse>>> IngestBulk(
        HttpContext http, IngestionServices services)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request, RequestBodies.BulkLimit);
        if (document is null)
        {
            return Refused(Refusal.Of(error!));
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("events", out var events) || events.ValueKind == JsonValueKind.Null)
            {
                return Refused(Refusal.Whole(StatusCodes.Status400BadRequest, ErrorMessages.MissingField("events")));
            }

            if (events.ValueKind != JsonValueKind.Array)
            {
                return Refused(Refusal.Whole(StatusCodes.Status400BadRequest, "Invalid field: events must be an array"));
            }

            var count = events.GetArrayLength();
            if (count is 0 or > MaxBulkEvents)
            {
                return Refused(Refusal.Whole(StatusCodes.Status400BadRequest, $"A bulk request holds 1 to {MaxBulkEvents} events; this one has {count}"));
            }

            var outcome = await IngestAsync(http, services, IngestRoute.Bulk, [.. events.EnumerateArray()]);
            if (outcome.Refusal is { } refusal)
            {
                return Refused(refusal);
            }

            services.Metrics.Bulk(count);

            // RFC 7240: the ids (and how many were already stored) only for clients that ask for them, so that
            // Flexprice's SDKs, which read the body as a map of strings, get Flexprice's own answer.
            if (!Preferences.WantsRepresentation(http.Request))
            {
                return TypedResults.Accepted((string?)null, new BulkEventsAcceptedResponse(EventsAccepted));
            }

            http.Response.Headers["Preference-Applied"] = Preferences.ReturnRepresentation;
            return TypedResults.Accepted(
                (string?)null,
                new BulkEventsAcceptedResponse(EventsAccepted, [.. outcome.Events.Select(e => e.Event.EventId)], outcome.Verdict!.Duplicates));
        }

        // A bulk: refused events are named by index; a refusal of the request as a whole has the one error shape.
        static Results<Accepted<BulkEventsAcceptedResponse>, BadRequest<BulkErrorResponse>, Conflict<BulkErrorResponse>, ServiceUnavailable<BulkErrorResponse>, PayloadTooLarge<ErrorResponse>, JsonHttpResult<ErrorResponse>> Refused(Refusal refusal)
        {
            if (refusal.Body is { } body)
            {
                return refusal.Status == StatusCodes.Status413PayloadTooLarge
                    ? new PayloadTooLarge<ErrorResponse>(body)
                    : TypedResults.Json(body, statusCode: refusal.Status);
            }

            var events = BulkErrorResponse.For(refusal.Status, refusal.Errors!, refusal.Outcomes);
            return refusal.Status switch
            {
                StatusCodes.Status409Conflict => TypedResults.Conflict(events),
                StatusCodes.Status503ServiceUnavailable => new ServiceUnavailable<BulkErrorResponse>(events),
                _ => TypedResults.BadRequest(events),
            };
        }
    }

    /// <summary>
    /// The core of both routes: each event checked at the door (the first bad one refuses the request), server-made
    /// ids derived from the <c>Idempotency-Key</c> when there is one, then the customers' grains. <see cref="IngestOutcome.Refusal"/>
    /// says why the request is refused (each route answers it in its own shape), or is null when every event is stored (or was already).
    /// </summary>
    private static async Task<IngestOutcome> IngestAsync(HttpContext http, IngestionServices services, IngestRoute route, IReadOnlyList<JsonElement> json)
    {
        var tenantId = http.Caller().TenantId;
        var catalog = await services.Catalogs.ForCallerAsync(http);
        var parsed = new List<ParsedEvent>(json.Count);
        List<IndexedError>? invalid = null;
        for (var index = 0; index < json.Count; index++)
        {
            if (EventParser.TryParse(json[index], catalog, services.Time, out var e, out var message))
            {
                parsed.Add(e);
            }
            else
            {
                (invalid ??= []).Add(new IndexedError(index, message));
            }
        }

        if (invalid is not null)
        {
            return new IngestOutcome(parsed, null, Refusal.PerEvent(StatusCodes.Status400BadRequest, invalid));
        }

        if (http.Request.Headers.ContainsKey(IdempotencyKey.HeaderName))
        {
            var (keyed, keyError) = await services.IdempotencyKeys.ApplyAsync(http, tenantId, route, parsed);
            if (keyed is null)
            {
                return new IngestOutcome(parsed, null, Refusal.Of(keyError!));
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
            http.Response.Headers.RetryAfter = "1";
            return new IngestOutcome(parsed, null, Refusal.Whole(StatusCodes.Status503ServiceUnavailable, ErrorMessages.StorageUnavailable));
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
        return new IngestOutcome(parsed, verdict, Refusal.PerEvent(status, verdict.Errors, outcomes));
    }

    /// <summary>What the core made of a request: its events as stored, the verdict, or why it is refused.</summary>
    private sealed record IngestOutcome(IReadOnlyList<ParsedEvent> Events, IngestVerdict? Verdict, Refusal? Refusal);

    /// <summary>
    /// A refused request: event by event (<see cref="Errors"/>, with <see cref="Outcomes"/> when part of a bulk was
    /// stored), or as a whole (<see cref="Body"/>: the body, the header, the key or the storage).
    /// </summary>
    private sealed record Refusal(int Status, IReadOnlyList<IndexedError>? Errors, IReadOnlyList<EventOutcomeResponse>? Outcomes, ErrorResponse? Body)
    {
        public static Refusal PerEvent(int status, IReadOnlyList<IndexedError> errors, IReadOnlyList<EventOutcomeResponse>? outcomes = null) =>
            new(status, errors, outcomes, null);

        public static Refusal Whole(int status, string message) => new(status, null, null, ErrorResponse.For(status, message));

        /// <summary>An error answer of the shared readers (<see cref="JsonBody"/>, <see cref="IdempotencyKey"/>), which always carry the one error shape.</summary>
        public static Refusal Of(IResult error) => error is IStatusCodeHttpResult { StatusCode: { } status } and IValueHttpResult<ErrorResponse> { Value: { } body }
            ? new(status, null, null, body)
            : throw new InvalidOperationException($"Not an error answer: {error.GetType().Name}");
    }

    /// <summary>What both routes need, gathered: singletons, taken from the application's services once.</summary>
    private sealed record IngestionServices(
        CatalogCache Catalogs, IngestionService Ingestion, IdempotencyKey IdempotencyKeys, IngestionMetrics Metrics, TimeProvider Time, ILogger<IngestionService> Logger)
    {
        public static IngestionServices From(IServiceProvider services) => new(
            services.GetRequiredService<CatalogCache>(),
            services.GetRequiredService<IngestionService>(),
            services.GetRequiredService<IdempotencyKey>(),
            services.GetRequiredService<IngestionMetrics>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<IngestionService>>());
    }
}
