using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Customers;

/// <summary>Customers, and their usage: <c>/v1/customers</c>.</summary>
public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder v1)
    {
        var customers = v1.MapGroup("/customers").WithTags("Customers");

        customers.MapPost("/", Create)
            .WithName("CreateCustomer")
            .WithSummary("Create a customer; external_id is unique within the tenant")
            .DocumentsBody<CreateCustomerRequest>()
            .WithRequestExample("""{"external_id": "cust-test-customer", "name": "Test customer", "email": "billing@example.com"}""")
            .Produces<CustomerResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict);

        customers.MapGet("/", List)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("ListCustomers")
            .WithSummary("The tenant's customers, newest first")
            .Produces<ListResponse<CustomerResponse>>();

        customers.MapPost("/search", Search)
            .RateLimited(RateLimitedRoute.Reads)
            .WithRequestExample("""{"external_ids": ["cust-test-customer", "cust-another-customer"], "limit": 20, "offset": 0}""")
            .WithName("SearchCustomers")
            .WithSummary("The tenant's customers matching Flexprice's customer filter (ids, external ids, e-mail, creation time), one page")
            .DocumentsBody<CustomerSearchRequest>()
            .Produces<ListResponse<CustomerResponse>>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);

        customers.MapGet("/usage", UsageSummary)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetCustomerUsageSummary")
            .WithSummary("Flexprice's usage summary of a customer (customer_id or customer_lookup_key = external id): every feature's usage in the current calendar month (UTC) or [start_time, end_time); no plans here, so every feature is unlimited")
            .Produces<CustomerUsageSummaryResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        customers.MapGet("/external/{external_id}", GetByExternalId)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetCustomerByExternalId")
            .WithSummary("One customer by its external id")
            .Produces<CustomerResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        customers.MapGet("/{id}", Get)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetCustomer")
            .WithSummary("One customer by its id (cust_…)")
            .Produces<CustomerResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        customers.MapGet("/{external_customer_id}/usage", Usage)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("GetCustomerUsage")
            .WithSummary("All-time usage of every feature by the customer, including every event acknowledged before the query")
            .Produces<UsageResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> Create(HttpContext http, CustomerStore store, IGrainFactory grains)
    {
        var (request, error) = await JsonBody.ReadAsync<CreateCustomerRequest>(http.Request);
        if (request is null)
        {
            return error!;
        }

        if (string.IsNullOrWhiteSpace(request.ExternalId))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("external_id"));
        }

        if ((InputLimits.CheckText(request.ExternalId, "external_id", InputLimits.MaxIdLength) ?? InputLimits.CheckText(request.Name, "name")
            ?? InputLimits.CheckText(request.Email, "email") ?? InputLimits.CheckText(request.AddressLine1, "address_line1")
            ?? InputLimits.CheckText(request.AddressLine2, "address_line2") ?? InputLimits.CheckText(request.AddressCity, "address_city")
            ?? InputLimits.CheckText(request.AddressState, "address_state") ?? InputLimits.CheckText(request.AddressPostalCode, "address_postal_code")
            ?? InputLimits.CheckText(request.AddressCountry, "address_country")) is { } tooLong)
        {
            return Errors.BadRequest(tooLong);
        }

        if (request.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            return Errors.BadRequest("Invalid field: metadata must be an object");
        }

        if (request.Metadata is { ValueKind: JsonValueKind.Object } given && InputLimits.CheckProperties(given, "metadata") is { } tooLarge)
        {
            return Errors.BadRequest(tooLarge);
        }

        var tenantId = http.Caller().TenantId;
        var metadata = request.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null;
        var name = string.IsNullOrWhiteSpace(request.Name) ? request.ExternalId : request.Name;
        var address = new CustomerAddress(
            Given(request.AddressLine1), Given(request.AddressLine2), Given(request.AddressCity), Given(request.AddressState), Given(request.AddressPostalCode), Given(request.AddressCountry));
        var customer = await store.CreateCustomerAsync(tenantId, request.ExternalId, name, request.Email, metadata, http.RequestAborted, address);
        return customer is null
            ? Errors.Conflict($"Customer with external_id '{ErrorMessages.Echo(request.ExternalId)}' already exists")
            : TypedResults.Created($"/v1/customers/{customer.Id}", ToResponse(customer));
    }

    private static async Task<IResult> List(HttpContext http, CustomerStore store, string? limit, string? offset)
    {
        if (!InputLimits.TryInteger(limit, "limit", 1, 1000, out var limitValue, out var error) || !InputLimits.TryInteger(offset, "offset", 0, int.MaxValue, out var offsetValue, out error))
        {
            return Errors.BadRequest(error);
        }

        var take = limitValue ?? 50;
        var skip = offsetValue ?? 0;
        var (items, total) = await store.ListCustomersAsync(http.Caller().TenantId, take, skip, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<CustomerResponse>([.. items.Select(ToResponse)], new Pagination(total, take, skip)));
    }

    private static async Task<IResult> Get(HttpContext http, CustomerStore store, string id)
    {
        if (InputLimits.CheckParameter(id, "id", InputLimits.MaxIdLength) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        var customer = await store.GetCustomerAsync(http.Caller().TenantId, id, http.RequestAborted);
        return customer is null ? Errors.NotFound($"Customer '{ErrorMessages.Echo(id)}' not found") : TypedResults.Ok(ToResponse(customer));
    }

    private static async Task<IResult> GetByExternalId(HttpContext http, CustomerStore store, [Microsoft.AspNetCore.Mvc.FromRoute(Name = "external_id")] string externalId)
    {
        externalId = RawRouteValue.Unescaped(http, externalId);
        if (InputLimits.CheckParameter(externalId, "external_id", InputLimits.MaxIdLength) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        var customer = await store.FindCustomerByExternalIdAsync(http.Caller().TenantId, externalId, http.RequestAborted);
        return customer is null ? Errors.NotFound(ErrorMessages.CustomerNotFound(externalId)) : TypedResults.Ok(ToResponse(customer));
    }

    private static async Task<IResult> Search(HttpContext http, CustomerStore store)
    {
        var (document, error) = await JsonBody.ParseAsync(http.Request);
        if (document is null)
        {
            return error!;
        }

        CustomerSearch search;
        bool anyStatus;
        using (document)
        {
            if (!CustomerSearchRequest.TryRead(document.RootElement, out search, out anyStatus, out var message))
            {
                return Errors.BadRequest(message);
            }
        }

        if (!anyStatus)
        {
            // Archived and deleted customers: there are none.
            return TypedResults.Ok(new ListResponse<CustomerResponse>([], new Pagination(0, search.Limit, search.Offset)));
        }

        var (items, total) = await store.SearchCustomersAsync(http.Caller().TenantId, search, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<CustomerResponse>([.. items.Select(ToResponse)], new Pagination(total, search.Limit, search.Offset)));
    }

    private static async Task<IResult> UsageSummary(
        HttpContext http, GrainRefs grains, CustomerStore store, UsageQueryService queries, TimeProvider time,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "customer_id")] string? customerId,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "customer_lookup_key")] string? customerLookupKey,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "feature_ids")] string[]? featureIds,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "feature_lookup_keys")] string[]? featureLookupKeys,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "subscription_ids")] string[]? subscriptionIds,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "start_time")] string? startTime,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "end_time")] string? endTime)
    {
        var request = new UsageSummaryRequest(customerId, customerLookupKey, featureIds, featureLookupKeys, subscriptionIds, startTime, endTime);
        return await UsageSummaries.AnswerAsync(http, grains, store, queries, time, request);
    }

    private static async Task<IResult> Usage(
        HttpContext http, GrainRefs grains, CustomerStore store, UsageQueryService queries,
        [Microsoft.AspNetCore.Mvc.FromRoute(Name = "external_customer_id")] string externalCustomerId,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "start_time")] string? startTime,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "end_time")] string? endTime)
    {
        var tenantId = http.Caller().TenantId;
        externalCustomerId = RawRouteValue.Unescaped(http, externalCustomerId);
        if (InputLimits.CheckParameter(externalCustomerId, "external_customer_id", InputLimits.MaxIdLength) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }
        if (!string.IsNullOrEmpty(startTime) || !string.IsNullOrEmpty(endTime))
        {
            return await RangeUsageAsync(http, grains, store, queries, tenantId, externalCustomerId, startTime, endTime);
        }

        var usage = await grains.Get<ICustomerGrain>(CustomerKey.For(tenantId, externalCustomerId)).GetUsage(http.CallerCatalogVersion());
        if (usage is null)
        {
            return Errors.NotFound(ErrorMessages.CustomerNotFound(externalCustomerId));
        }

        var features = new List<FeatureUsageResponse>(usage.Features.Length);
        foreach (var f in usage.Features)
        {
            var (value, count, partial) = (f.Value, f.EventCount, f.Partial);
            if (f.Feature.Meter.NeedsEvents)
            {
                // Per-bucket and per-group results need the events: computed from the log (whole, never partial).
                var query = FeatureMeter.Query(f.Feature.Meter, new Grains.Aggregation.UsageRange(AllTime.Start, AllTime.End, TimeZoneInfo.Utc));
                var answer = await queries.FromLogAsync(http, tenantId, externalCustomerId, query);
                (value, count, partial) = (answer.Value, answer.EventCount, false);
            }

            features.Add(new FeatureUsageResponse(
                f.Feature.Id, f.Feature.Name, f.Feature.Meter.EventName, f.Feature.Meter.Aggregation.ToWireName(), UsageApi.ValueOf(value), count, partial ? true : null));
        }

        return TypedResults.Ok(new UsageResponse(usage.ExternalCustomerId, features));
    }

    /// <summary>Usage of every feature over [start_time, end_time) (either may be left out: unbounded on that side), from the event log.</summary>
    private static async Task<IResult> RangeUsageAsync(
        HttpContext http, GrainRefs grains, CustomerStore store, UsageQueryService queries, string tenantId, string externalCustomerId, string? startTime, string? endTime)
    {
        if (!UsageRequest.TryTime(startTime, "start_time", out var start, out var error) || !UsageRequest.TryTime(endTime, "end_time", out var end, out error))
        {
            return Errors.BadRequest(error);
        }

        var from = start ?? AllTime.Start;
        var to = end ?? AllTime.End;
        if (to <= from)
        {
            return Errors.BadRequest("Invalid range: end_time must be after start_time");
        }

        var snapshot = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
        if (snapshot.Features.IsEmpty && await store.FindCustomerByExternalIdAsync(tenantId, externalCustomerId, http.RequestAborted) is null)
        {
            return Errors.NotFound(ErrorMessages.CustomerNotFound(externalCustomerId));
        }

        var features = new List<FeatureUsageResponse>(snapshot.Features.Length);
        foreach (var feature in snapshot.Features)
        {
            var query = FeatureMeter.Query(feature.Meter, new Grains.Aggregation.UsageRange(from, to, TimeZoneInfo.Utc));
            if (await queries.QueryAsync(http, tenantId, externalCustomerId, query) is not var (answer, _))
            {
                return Errors.NotFound(ErrorMessages.CustomerNotFound(externalCustomerId));
            }

            features.Add(new FeatureUsageResponse(
                feature.Id, feature.Name, feature.Meter.EventName, feature.Meter.Aggregation.ToWireName(), UsageApi.ValueOf(answer.Value), answer.EventCount));
        }

        return TypedResults.Ok(new UsageResponse(externalCustomerId, features, start, end));
    }

    private static string? Given(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static CustomerResponse ToResponse(CustomerRecord customer)
    {
        JsonElement? metadata = customer.MetadataJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null;
        var address = customer.Address ?? CustomerAddress.None;
        return new CustomerResponse(
            customer.Id, customer.ExternalId, customer.Name, customer.Email, metadata, customer.CreatedAt,
            address.Line1, address.Line2, address.City, address.State, address.PostalCode, address.Country, customer.TenantId);
    }
}
