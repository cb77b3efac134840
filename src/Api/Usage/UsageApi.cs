using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Usage;

/// <summary>Flexprice's usage queries: <c>POST /v1/events/usage</c> and <c>POST /v1/events/usage/meter</c>.</summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder v1)
    {
        var usage = v1.MapGroup("/events/usage").WithTags("Usage");

        usage.MapPost("/", ByEventName)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetUsage")
            .WithRequestExample("""{"event_name": "model.usage", "aggregation_type": "SUM", "property_name": "credits", "external_customer_id": "cust-test-customer", "start_time": "2025-08-01T00:00:00Z", "end_time": "2025-09-01T00:00:00Z", "window_size": "DAY", "timezone": "Europe/Berlin", "filters": {"model": ["gpt-4o"]}}""")
            .WithSummary("Usage of an event name over [start_time, end_time), in windows aligned to the calendar of timezone; one customer's (customer_id or external_customer_id) or the tenant's")
            .Produces<UsageQueryResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        usage.MapPost("/meter", ByMeter)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetUsageByMeter")
            .WithRequestExample("""{"feature_id": "feat_01K3EXAMPLE0000000000000000", "external_customer_id": "cust-test-customer", "start_time": "2025-08-01T00:00:00Z", "end_time": "2025-09-01T00:00:00Z", "window_size": "HOUR", "timezone": "UTC"}""")
            .WithSummary("Usage of a meter (meter_id or feature_id) over [start_time, end_time); the meter's own filters apply too; one customer's (customer_id or external_customer_id) or the tenant's")
            .Produces<UsageQueryResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        v1.MapPost("/events/analytics", Analytics)
            .RateLimited(RateLimitedRoute.Reads)
            .WithRequestExample("""{"external_customer_id": "cust-test-customer", "start_time": "2025-08-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z", "window_size": "DAY", "timezone": "UTC"}""")
            .WithTags("Usage")
            .WithName("GetUsageAnalytics")
            .WithSummary("Flexprice's usage analytics: one customer's usage of each feature (or of feature_ids) over [start_time, end_time), with points per window; nothing is priced here, so costs are 0")
            .DocumentsBody<AnalyticsRequest>()
            .Produces<UsageAnalyticsResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> ByEventName(HttpContext http, UsageQueryService usage, CustomerStore store, TimeProvider time)
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

        var meter = new Meter(request.EventName, type, request.PropertyName, request.Multiplier, request.BucketSize, request.GroupBy, request.Filters);
        return await AnswerAsync(http, usage, store, request, meter);
    }

    private static async Task<IResult> ByMeter(HttpContext http, UsageQueryService usage, GrainRefs grains, CustomerStore store, TimeProvider time)
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

        var meter = feature.Meter with
        {
            BucketSize = request.BucketSize ?? feature.Meter.BucketSize,
            GroupBy = request.GroupBy ?? feature.Meter.GroupBy,
            Filters = [.. feature.Meter.Filters, .. request.Filters],
        };
        return await AnswerAsync(http, usage, store, request, meter);
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, UsageQueryService usage, CustomerStore store, UsageRequest request, Meter meter)
    {
        if (UsageRequest.Validate(meter) is { } problem)
        {
            return Errors.BadRequest(problem);
        }

        var (customer, refused) = await CustomerReference.ResolveAsync(store, http.Caller().TenantId, request.CustomerId, request.ExternalCustomerId, http.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        var query = FeatureMeter.Query(meter, request.Range);
        if (await usage.QueryAsync(http, http.Caller().TenantId, customer, query) is not var (answer, source))
        {
            return Errors.NotFound(ErrorMessages.CustomerNotFound(customer!));
        }

        return TypedResults.Ok(new UsageQueryResponse(
            meter.EventName,
            meter.Aggregation.ToWireName(),
            ValueOf(answer.Value),
            answer.EventCount,
            request.Start,
            request.End,
            request.WindowSize?.ToWireName(),
            request.Zone.Id,
            [.. answer.Windows.Select(w => new UsageWindowResponse(w.Start, w.Start, w.End, ValueOf(w.Value), w.EventCount))],
            source));
    }

    private static async Task<IResult> Analytics(HttpContext http, UsageQueryService usage, GrainRefs grains, CustomerStore store, TimeProvider time)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        AnalyticsRequest.Parsed request;
        using (document)
        {
            if (!AnalyticsRequest.TryRead(document.RootElement, time.GetUtcNow().UtcDateTime, out request, out var message))
            {
                return Errors.BadRequest(message);
            }
        }

        var tenantId = http.Caller().TenantId;
        var (customer, refused) = await CustomerReference.ResolveAsync(store, tenantId, request.CustomerId, request.ExternalCustomerId, http.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        // A customer_id was found; an external id alone is checked here (a tenant without features would not ask a grain).
        if (string.IsNullOrEmpty(request.CustomerId) && await store.FindCustomerByExternalIdAsync(tenantId, customer!, http.RequestAborted) is null)
        {
            return Errors.NotFound(ErrorMessages.CustomerNotFound(customer!));
        }

        var snapshot = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
        if (request.FeatureIds.FirstOrDefault(id => snapshot.Features.All(f => f.Id != id)) is { } unknown)
        {
            return Errors.BadRequest($"Invalid field: feature_ids: feature '{ErrorMessages.Echo(unknown)}' not found");
        }

        var items = new List<UsageAnalyticItemResponse>();
        foreach (var feature in snapshot.Features.Where(f => request.FeatureIds.Count == 0 || request.FeatureIds.Contains(f.Id)))
        {
            var meter = feature.Meter with { Filters = [.. feature.Meter.Filters, .. request.Filters] };
            var query = FeatureMeter.Query(meter, request.Range);
            if (await usage.QueryAsync(http, tenantId, customer, query) is not var (answer, _))
            {
                return Errors.NotFound(ErrorMessages.CustomerNotFound(customer!));
            }

            var details = feature.Describe;
            items.Add(new UsageAnalyticItemResponse(
                feature.Id,
                feature.Name,
                feature.Meter.EventName,
                feature.Meter.Aggregation.ToWireName(),
                details.UnitSingular,
                details.UnitPlural,
                TextOf(answer.Value),
                answer.EventCount,
                request.Range.Window?.ToWireName(),
                [.. answer.Windows.Select(w => new UsageAnalyticPointResponse(w.Start, TextOf(w.Value), w.EventCount))],
                feature.MeterId,
                FeaturesApi.ToMeterResponse(feature, tenantId),
                FeaturesApi.ToResponse(feature, tenantId)));
        }

        return TypedResults.Ok(new UsageAnalyticsResponse(items));
    }

    public static object ValueOf(UsageValue value) => value.Text is { } text ? text : value.Number;

    /// <summary>The value as a decimal string (its text for a text LATEST), as Flexprice's SDKs read usage quantities.</summary>
    public static string TextOf(UsageValue value) => value.Text ?? DecimalText.Of(value.Number);

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

/// <summary>Usage queries of meters.</summary>
public static class FeatureMeter
{
    /// <summary>The wire query for a meter over a range.</summary>
    public static UsageQuery Query(Meter meter, UsageRange range) =>
        new(meter, range.Start, range.End, range.Zone.Id, range.Window, range.BillingAnchor);
}
