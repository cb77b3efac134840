using Flexprice.Api.Contracts;
using Flexprice.Api.Infrastructure;
using Flexprice.Api.Usage;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Api.Endpoints;

/// <summary>Flexprice's usage queries: <c>POST /v1/events/usage</c> and <c>POST /v1/events/usage/meter</c>.</summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder v1)
    {
        var usage = v1.MapGroup("/events/usage").WithTags("Usage");

        usage.MapPost("/", ByEventName)
            .WithName("GetUsage")
            .WithRequestExample("""{"event_name": "model.usage", "aggregation_type": "SUM", "property_name": "credits", "external_customer_id": "cust-test-customer", "start_time": "2025-08-01T00:00:00Z", "end_time": "2025-09-01T00:00:00Z", "window_size": "DAY", "timezone": "Europe/Berlin", "filters": {"model": ["gpt-4o"]}}""")
            .WithSummary("Usage of an event name over [start_time, end_time), in windows aligned to the calendar of timezone")
            .Produces<UsageQueryResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        usage.MapPost("/meter", ByMeter)
            .WithName("GetUsageByMeter")
            .WithRequestExample("""{"feature_id": "feat_01K3EXAMPLE0000000000000000", "external_customer_id": "cust-test-customer", "start_time": "2025-08-01T00:00:00Z", "end_time": "2025-09-01T00:00:00Z", "window_size": "HOUR", "timezone": "UTC"}""")
            .WithSummary("Usage of a meter (meter_id or feature_id) over [start_time, end_time); the meter's own filters apply too")
            .Produces<UsageQueryResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> ByEventName(HttpContext http, UsageQueryService usage, TimeProvider time)
    {
        var (request, error) = await ReadAsync(http, time);
        if (request is null)
        {
            return error!;
        }

        if (string.IsNullOrEmpty(request.EventName))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("event_name"));
        }

        var typeName = string.IsNullOrEmpty(request.AggregationType) ? "COUNT" : request.AggregationType;
        if (!AggregationTypeNames.TryParse(typeName, out var type))
        {
            return Errors.BadRequest($"Invalid aggregation_type '{ErrorMessages.Echo(typeName)}': use one of {string.Join(", ", AggregationTypeNames.WireNames)}");
        }

        if (type == AggregationType.SumWithMultiplier && request.Multiplier is null)
        {
            return Errors.BadRequest("Missing required field: multiplier (SUM_WITH_MULTIPLIER)");
        }

        var meter = new MeterSpec(type, request.PropertyName, request.Multiplier ?? 1m, request.BucketSize, request.GroupBy, request.Filters);
        return await AnswerAsync(http, usage, request, request.EventName, meter);
    }

    private static async Task<IResult> ByMeter(HttpContext http, UsageQueryService usage, GrainRefs grains, TimeProvider time)
    {
        var (request, error) = await ReadAsync(http, time);
        if (request is null)
        {
            return error!;
        }

        if (string.IsNullOrEmpty(request.MeterId) && string.IsNullOrEmpty(request.FeatureId))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("meter_id"));
        }

        var snapshot = await grains.Get<ITenantCatalogGrain>(http.Caller().TenantId).GetSnapshot();
        var feature = snapshot.Features.FirstOrDefault(f =>
            (!string.IsNullOrEmpty(request.MeterId) && f.MeterId == request.MeterId) || (!string.IsNullOrEmpty(request.FeatureId) && f.Id == request.FeatureId));
        if (feature is null)
        {
            return Errors.NotFound($"Meter '{ErrorMessages.Echo(request.MeterId ?? request.FeatureId)}' not found");
        }

        var meter = feature.Meter();
        meter = meter with
        {
            BucketSize = request.BucketSize ?? meter.BucketSize,
            GroupBy = request.GroupBy ?? meter.GroupBy,
            Filters = [.. meter.Filters ?? [], .. request.Filters],
        };
        return await AnswerAsync(http, usage, request, feature.EventName, meter);
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, UsageQueryService usage, UsageRequest request, string eventName, MeterSpec meter)
    {
        if (UsageRequest.Validate(meter) is { } problem)
        {
            return Errors.BadRequest(problem);
        }

        var customer = string.IsNullOrEmpty(request.ExternalCustomerId) ? null : request.ExternalCustomerId;
        var query = FeatureMeter.Query(eventName, meter, request.Range);
        if (await usage.QueryAsync(http.Caller().TenantId, customer, query, http.RequestAborted) is not var (answer, source))
        {
            return Errors.NotFound(ErrorMessages.CustomerNotFound(customer!));
        }

        return TypedResults.Ok(new UsageQueryResponse(
            eventName,
            meter.Type.ToWireName(),
            ValueOf(answer.Value),
            answer.EventCount,
            request.Start,
            request.End,
            request.WindowSize?.ToWireName(),
            request.Zone.Id,
            [.. answer.Windows.Select(w => new UsageWindowResponse(w.Start, w.Start, w.End, ValueOf(w.Value), w.EventCount))],
            source));
    }

    public static object ValueOf(UsageValue value) => value.Text is { } text ? text : value.Number;

    private static async Task<(UsageRequest? Request, IResult? Error)> ReadAsync(HttpContext http, TimeProvider time)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return (null, error);
        }

        using (document)
        {
            return UsageRequest.TryRead(document.RootElement, time.GetUtcNow().UtcDateTime, out var request, out var message)
                ? (request, null)
                : (null, Errors.BadRequest(message));
        }
    }
}

/// <summary>The meter a feature defines, as the usage calculator takes it.</summary>
public static class FeatureMeter
{
    public static MeterSpec Of(FeatureDefinition feature) => feature.Meter();

    /// <summary>The wire query for a meter over a range.</summary>
    public static UsageQuery Query(string eventName, MeterSpec meter, UsageRange range) => new(
        eventName, meter.Type, meter.Field, meter.Multiplier, meter.BucketSize, meter.GroupBy,
        [.. (meter.Filters ?? []).Select(f => new UsageFilter(f.Key, [.. f.Values]))],
        range.Start, range.End, range.Zone.Id, range.Window, range.BillingAnchor);
}
