using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Usage;

/// <summary>
/// <c>GET /v1/customers/usage</c> as the query string gives it. The customer: <see cref="CustomerId"/> (Flexprice's id) or
/// <see cref="CustomerLookupKey"/> (the external id), or both naming the same customer. Lists are repeated or comma-separated.
/// </summary>
public sealed record UsageSummaryRequest(
    string? CustomerId,
    string? CustomerLookupKey,
    string[]? FeatureIds,
    string[]? FeatureLookupKeys,
    string[]? SubscriptionIds,
    string? StartTime,
    string? EndTime);

/// <summary>
/// A customer's usage of every feature (or the ones asked for) over the current calendar month in UTC, or over
/// [start_time, end_time) when given; a meter that never resets (reset_usage NEVER) counts from its first event to the
/// period's end. Each figure is the usage query's own (<see cref="UsageQueryService"/>), so it equals what
/// <c>POST /v1/events/usage/meter</c> answers for the same meter, customer and range.
/// </summary>
public static class UsageSummaries
{
    public const string MonthlyPeriod = "MONTHLY";

    public static async Task<IResult> AnswerAsync(
        HttpContext http, GrainRefs grains, CustomerStore store, UsageQueryService queries, TimeProvider time, UsageSummaryRequest request)
    {
        if ((InputLimits.CheckParameter(request.CustomerId, "customer_id", InputLimits.MaxIdLength)
            ?? InputLimits.CheckParameter(request.CustomerLookupKey, "customer_lookup_key", InputLimits.MaxIdLength)) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        if (!TryList(request.FeatureIds, "feature_ids", out var featureIds, out var error) || !TryList(request.FeatureLookupKeys, "feature_lookup_keys", out var lookupKeys, out error)
            || !TryList(request.SubscriptionIds, "subscription_ids", out var subscriptionIds, out error)
            || !UsageRequest.TryTime(request.StartTime, "start_time", out var start, out error) || !UsageRequest.TryTime(request.EndTime, "end_time", out var end, out error))
        {
            return Errors.BadRequest(error);
        }

        if (subscriptionIds.Count > 0)
        {
            return Errors.BadRequest("Invalid field: subscription_ids: there are no subscriptions here; leave it out");
        }

        var tenantId = http.Caller().TenantId;
        var customer = await FindCustomerAsync(store, tenantId, request, http.RequestAborted);
        if (customer.Error is not null)
        {
            return customer.Error;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var from = start ?? monthStart;
        var to = end ?? (start is null ? monthStart.AddMonths(1) : AllTime.End);
        if (to <= from)
        {
            return Errors.BadRequest("Invalid range: end_time must be after start_time");
        }

        var snapshot = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
        var features = snapshot.Features.AsEnumerable();
        if (featureIds.Count > 0 || lookupKeys.Count > 0)
        {
            if (featureIds.FirstOrDefault(id => snapshot.Features.All(f => f.Id != id)) is { } unknownId)
            {
                return Errors.BadRequest($"Invalid field: feature_ids: feature '{ErrorMessages.Echo(unknownId)}' not found");
            }

            if (lookupKeys.FirstOrDefault(key => snapshot.Features.All(f => f.Describe.LookupKey != key)) is { } unknownKey)
            {
                return Errors.BadRequest($"Invalid field: feature_lookup_keys: no feature has lookup_key '{ErrorMessages.Echo(unknownKey)}'");
            }

            features = features.Where(f => featureIds.Contains(f.Id) || (f.Describe.LookupKey is { } key && lookupKeys.Contains(key)));
        }

        var record = customer.Customer!;
        var items = new List<FeatureUsageSummaryResponse>();
        foreach (var feature in features)
        {
            var neverResets = string.Equals(feature.ResetUsage, "NEVER", StringComparison.OrdinalIgnoreCase);
            var query = FeatureMeter.Query(feature.Meter, new UsageRange(neverResets ? AllTime.Start : from, to, TimeZoneInfo.Utc));
            if (await queries.QueryAsync(http, tenantId, record.ExternalId, query) is not var (answer, _))
            {
                return Errors.NotFound(ErrorMessages.CustomerNotFound(record.ExternalId));
            }

            items.Add(new FeatureUsageSummaryResponse(
                FeaturesApi.ToResponse(feature, tenantId), UsageApi.TextOf(answer.Value), answer.EventCount, neverResets || to == AllTime.End ? null : to));
        }

        return TypedResults.Ok(new CustomerUsageSummaryResponse(
            record.Id,
            record.ExternalId,
            items,
            new Pagination(items.Count, items.Count, 0),
            new BillingPeriodResponse(from, to, start is null && end is null ? MonthlyPeriod : null)));
    }

    private readonly record struct FoundCustomer(CustomerRecord? Customer, IResult? Error);

    private static async Task<FoundCustomer> FindCustomerAsync(CustomerStore store, string tenantId, UsageSummaryRequest request, CancellationToken cancellationToken)
    {
        CustomerRecord? byId = null;
        if (!string.IsNullOrEmpty(request.CustomerId))
        {
            byId = await store.GetCustomerAsync(tenantId, request.CustomerId, cancellationToken);
            if (byId is null)
            {
                return new(null, Errors.BadRequest(CustomerReference.NotFound(request.CustomerId)));
            }
        }

        if (string.IsNullOrEmpty(request.CustomerLookupKey))
        {
            return byId is null ? new(null, Errors.BadRequest(ErrorMessages.MissingField("customer_id or customer_lookup_key"))) : new(byId, null);
        }

        if (byId is not null)
        {
            return byId.ExternalId == request.CustomerLookupKey
                ? new(byId, null)
                : new(null, Errors.BadRequest(
                    $"Invalid customer: customer_id '{ErrorMessages.Echo(request.CustomerId)}' is not the customer with customer_lookup_key '{ErrorMessages.Echo(request.CustomerLookupKey)}'"));
        }

        var byKey = await store.FindCustomerByExternalIdAsync(tenantId, request.CustomerLookupKey, cancellationToken);
        return byKey is null ? new(null, Errors.NotFound(ErrorMessages.CustomerNotFound(request.CustomerLookupKey))) : new(byKey, null);
    }

    /// <summary>The values of a repeated and/or comma-separated query parameter (as Flexprice's SDKs send lists), each checked.</summary>
    private static bool TryList(string[]? given, string name, out List<string> values, out string error)
    {
        values = [.. (given ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
        error = "";
        if (values.Count > JsonFields.MaxListLength)
        {
            error = $"Invalid field: {name} holds at most {JsonFields.MaxListLength} values";
            return false;
        }

        if (values.Select(v => InputLimits.CheckParameter(v, name, InputLimits.MaxIdLength)).FirstOrDefault(e => e is not null) is { } invalid)
        {
            error = invalid;
            return false;
        }

        return true;
    }
}
