using System.Text.Json;
using Flexprice.Grains;

namespace Flexprice.Api.Features;

/// <summary>Metered features and their meters: <c>/v1/features</c>.</summary>
public static class FeaturesApi
{
    private const int MaxFilters = 32;
    private const int MaxFilterValues = 256;

    private static readonly string[] ResetUsageValues = ["BILLING_PERIOD", "NEVER"];

    public static RouteGroupBuilder MapFeaturesApi(this RouteGroupBuilder v1)
    {
        var features = v1.MapGroup("/features").WithTags("Features");

        features.MapPost("/", Create)
            .WithName("CreateFeature")
            .WithSummary("Create a metered feature; events named meter.event_name feed it")
            .DocumentsBody<CreateFeatureRequest>()
            .WithRequestExample("""{"name": "Credits", "type": "metered", "meter": {"event_name": "model.usage", "aggregation": {"type": "SUM", "field": "credits"}, "reset_usage": "BILLING_PERIOD", "filters": [{"key": "model", "values": ["gpt-4o", "o1-mini"]}]}}""")
            .Produces<FeatureResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict);

        features.MapGet("/", List)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("ListFeatures")
            .WithSummary("The tenant's features, oldest first")
            .Produces<ListResponse<FeatureResponse>>();

        features.MapPost("/search", Search)
            .RateLimited(RateLimitedRoute.Reads)
            .WithRequestExample("""{"name_contains": "Credits", "limit": 20, "offset": 0}""")
            .WithName("SearchFeatures")
            .WithSummary("The tenant's features matching Flexprice's feature filter (ids, lookup keys, meter ids, name), one page")
            .DocumentsBody<FeatureSearchRequest>()
            .Produces<ListResponse<FeatureResponse>>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);

        return v1;
    }

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var (request, error) = await JsonBody.ReadAsync<CreateFeatureRequest>(http.Request);
        if (request is null)
        {
            return error!;
        }

        if (Validate(request) is { } problem)
        {
            return Errors.BadRequest(problem);
        }

        var tenantId = http.Caller().TenantId;
        var details = new FeatureDetails(
            Trimmed(request.LookupKey), Trimmed(request.Description), Trimmed(request.UnitSingular), Trimmed(request.UnitPlural),
            request.Metadata is { ValueKind: JsonValueKind.Object } metadata ? metadata.GetRawText() : null);
        var feature = await grains.GetGrain<ITenantCatalogGrain>(tenantId).CreateFeature(new NewFeature(
            request.Name.Trim(),
            request.Meter.ToMeter(),
            request.Meter.ResetUsage?.Trim().ToUpperInvariant() ?? "BILLING_PERIOD",
            details == FeatureDetails.None ? null : details));
        return feature is null
            ? Errors.Conflict($"Feature with lookup_key '{ErrorMessages.Echo(details.LookupKey)}' already exists")
            : TypedResults.Created($"/v1/features/{feature.Id}", ToResponse(feature, tenantId));
    }

    private static async Task<IResult> List(HttpContext http, IGrainFactory grains)
    {
        var tenantId = http.Caller().TenantId;
        var snapshot = await grains.GetGrain<ITenantCatalogGrain>(tenantId).GetSnapshot();
        return TypedResults.Ok(new ListResponse<FeatureResponse>(
            [.. snapshot.Features.Select(f => ToResponse(f, tenantId))],
            new Pagination(snapshot.Features.Length, snapshot.Features.Length, 0)));
    }

    private static async Task<IResult> Search(HttpContext http, IGrainFactory grains)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        FeatureSearchRequest.Criteria criteria;
        using (document)
        {
            if (!FeatureSearchRequest.TryRead(document.RootElement, out criteria, out var message))
            {
                return Errors.BadRequest(message);
            }
        }

        var tenantId = http.Caller().TenantId;
        var snapshot = await grains.GetGrain<ITenantCatalogGrain>(tenantId).GetSnapshot();
        var matching = criteria.Filter(snapshot.Features);
        return TypedResults.Ok(new ListResponse<FeatureResponse>(
            [.. matching.Skip(criteria.Paging.Offset).Take(criteria.Paging.Limit).Select(f => ToResponse(f, tenantId))],
            new Pagination(matching.Count, criteria.Paging.Limit, criteria.Paging.Offset)));
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>What is wrong with a feature definition, in words for the client; null when nothing is.</summary>
    private static string? Validate(CreateFeatureRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return ErrorMessages.MissingField("name");
        }

        if (string.IsNullOrWhiteSpace(request.Type))
        {
            return ErrorMessages.MissingField("type");
        }

        if (!string.Equals(request.Type.Trim(), "metered", StringComparison.OrdinalIgnoreCase))
        {
            return $"Invalid feature type '{ErrorMessages.Echo(request.Type)}': only 'metered' features are supported";
        }

        if (request.Meter is null)
        {
            return ErrorMessages.MissingField("meter");
        }

        if (string.IsNullOrWhiteSpace(request.Meter.EventName))
        {
            return ErrorMessages.MissingField("meter.event_name");
        }

        if (request.Meter.Aggregation is null || string.IsNullOrWhiteSpace(request.Meter.Aggregation.Type))
        {
            return ErrorMessages.MissingField("meter.aggregation.type");
        }

        if (!AggregationTypeNames.TryParse(request.Meter.Aggregation.Type, out var aggregation))
        {
            return $"Invalid aggregation type '{ErrorMessages.Echo(request.Meter.Aggregation.Type)}': use one of {string.Join(", ", AggregationTypeNames.WireNames)}";
        }

        if (aggregation != AggregationType.Count && string.IsNullOrWhiteSpace(request.Meter.Aggregation.Field))
        {
            return $"Missing required field: meter.aggregation.field ({aggregation.ToWireName()} aggregates a property)";
        }

        var options = request.Meter.Aggregation;
        if ((InputLimits.CheckText(request.Name.Trim(), "name") ?? InputLimits.CheckText(request.Meter.EventName.Trim(), "meter.event_name")
            ?? InputLimits.CheckText(options.Field?.Trim(), "meter.aggregation.field") ?? InputLimits.CheckText(options.GroupBy?.Trim(), "meter.aggregation.group_by")) is { } tooLong)
        {
            return tooLong;
        }

        if (aggregation == AggregationType.SumWithMultiplier && options.Multiplier is not > 0m)
        {
            return "Invalid meter.aggregation.multiplier: SUM_WITH_MULTIPLIER needs a number greater than 0";
        }

        if (!string.IsNullOrWhiteSpace(options.BucketSize))
        {
            if (!WindowSizeNames.TryParse(options.BucketSize, out _))
            {
                return $"Invalid meter.aggregation.bucket_size '{ErrorMessages.Echo(options.BucketSize)}': use one of {string.Join(", ", WindowSizeNames.WireNames)}";
            }

            if (aggregation is not (AggregationType.Max or AggregationType.Sum))
            {
                return "Invalid meter.aggregation.bucket_size: only MAX and SUM take one";
            }
        }

        if (!string.IsNullOrWhiteSpace(options.GroupBy) && (aggregation != AggregationType.Max || string.IsNullOrWhiteSpace(options.BucketSize)))
        {
            return "Invalid meter.aggregation.group_by: only a bucketed MAX takes one";
        }

        if (request.Meter.Filters is { Count: > MaxFilters })
        {
            return $"Invalid meter.filters: at most {MaxFilters} filters";
        }

        foreach (var filter in request.Meter.Filters ?? [])
        {
            if (filter is null || string.IsNullOrWhiteSpace(filter.Key) || filter.Values is null || filter.Values.Count == 0 || filter.Values.Any(v => v is null))
            {
                return "Invalid meter.filters: each filter is {\"key\": \"…\", \"values\": [\"…\", …]} with at least one value";
            }

            if (filter.Values.Count > MaxFilterValues)
            {
                return $"Invalid meter.filters: at most {MaxFilterValues} values per filter";
            }

            if ((InputLimits.CheckText(filter.Key, "meter.filters.key") ?? filter.Values.Select(v => InputLimits.CheckText(v, "meter.filters.values")).FirstOrDefault(e => e is not null)) is { } filterTooLong)
            {
                return filterTooLong;
            }
        }

        if (request.Meter.ResetUsage is { } reset && !ResetUsageValues.Contains(reset.Trim().ToUpperInvariant()))
        {
            return $"Invalid reset_usage '{ErrorMessages.Echo(reset)}': use BILLING_PERIOD or NEVER";
        }

        if ((InputLimits.CheckText(request.LookupKey?.Trim(), "lookup_key") ?? InputLimits.CheckText(request.Description?.Trim(), "description", InputLimits.MaxDescriptionLength)
            ?? InputLimits.CheckText(request.UnitSingular?.Trim(), "unit_singular") ?? InputLimits.CheckText(request.UnitPlural?.Trim(), "unit_plural")) is { } detailTooLong)
        {
            return detailTooLong;
        }

        if (request.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            return "Invalid field: metadata must be an object";
        }

        return request.Metadata is { ValueKind: JsonValueKind.Object } metadata ? InputLimits.CheckProperties(metadata, "metadata") : null;
    }

    /// <summary>A feature as every route answers it.</summary>
    public static FeatureResponse ToResponse(FeatureDefinition feature, string tenantId)
    {
        var details = feature.Describe;
        var created = feature.CreatedAt.UtcDateTime;
        JsonElement? metadata = details.MetadataJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null;
        return new FeatureResponse(
            feature.Id,
            feature.Name,
            feature.Type,
            feature.MeterId,
            ToMeterResponse(feature, tenantId),
            created,
            details.LookupKey,
            details.Description,
            details.UnitSingular,
            details.UnitPlural,
            metadata,
            tenantId);
    }

    /// <summary>A feature's meter (named as the feature).</summary>
    public static MeterResponse ToMeterResponse(FeatureDefinition feature, string tenantId) => new(
        feature.MeterId,
        feature.Name,
        feature.Meter.EventName,
        new AggregationResponse(
            feature.Meter.Aggregation.ToWireName(), feature.Meter.Field, feature.Meter.Multiplier is { } multiplier ? DecimalText.Of(multiplier) : null, feature.Meter.BucketSize?.ToWireName(), feature.Meter.GroupBy),
        feature.ResetUsage,
        feature.Meter.Filters,
        tenantId,
        feature.CreatedAt.UtcDateTime);
}
