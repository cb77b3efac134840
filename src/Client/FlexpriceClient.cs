using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Flexprice.Client.Catalog;
using Flexprice.Client.Events;
using Flexprice.Client.Usage;
using Polly.Timeout;

namespace Flexprice.Client;

/// <summary>
/// A typed client for the Flexprice API: events (single, bulk), usage, customers and features.
/// Made by <c>IHttpClientFactory</c> (<c>services.AddFlexpriceClient(o => …)</c>), whose pipeline
/// retries transient failures of reads and of event requests, honouring <c>Retry-After</c>. Every
/// event it sends carries an id (the caller's, or a client-made ULID), so a retry never counts twice.
/// </summary>
public sealed class FlexpriceClient(HttpClient http, TimeProvider time)
{
    /// <summary>Marks a request that may be sent again after a transient failure (reads; events with ids).</summary>
    public static readonly HttpRequestOptionsKey<bool> RetrySafe = new("Flexprice.RetrySafe");

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    /// <summary>Sends one event (<c>POST /v1/events</c>); an event without id or timestamp gets both now.</summary>
    public Task<SendResult> SendEventAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var id = usage.EventId ?? EventIds.New(now);
        var content = new ByteArrayContent(EventJson.Serialize(usage, id, usage.Timestamp ?? now));
        return SendEventsAsync("/v1/events", content, [id], bulk: false, cancellationToken);
    }

    /// <summary>Sends 1 to 1,000 events in one bulk request (<c>POST /v1/events/bulk</c>): all are stored, or none.</summary>
    public Task<SendResult> SendEventsAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var batch = new EventBatch();
        var ids = new List<string>(events.Count);
        foreach (var usage in events)
        {
            var id = usage.EventId ?? EventIds.New(now);
            ids.Add(id);
            batch.Add(EventJson.Serialize(usage, id, usage.Timestamp ?? now), ids.Count - 1);
        }

        return SendBulkAsync(batch, ids, cancellationToken);
    }

    /// <summary>
    /// Sends a prepared batch of events (raw JSON objects, which must carry their <c>event_id</c> for
    /// retries to be safe) as one bulk request. <paramref name="eventIds"/> is only echoed in the result.
    /// </summary>
    public Task<SendResult> SendBulkAsync(EventBatch batch, IReadOnlyList<string>? eventIds = null, CancellationToken cancellationToken = default)
    {
        var content = new ReadOnlyMemoryContent(batch.Body());
        return SendEventsAsync("/v1/events/bulk", content, eventIds ?? [], bulk: true, cancellationToken);
    }

    /// <summary>A customer's usage of every feature: all time, or over <c>[start, end)</c> (either may be left out).</summary>
    public Task<CustomerUsage> GetCustomerUsageAsync(string externalCustomerId, DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (start is { } s)
        {
            query.Add($"start_time={Uri.EscapeDataString(EventJson.FormatTimestamp(s))}");
        }

        if (end is { } e)
        {
            query.Add($"end_time={Uri.EscapeDataString(EventJson.FormatTimestamp(e))}");
        }

        var path = $"/v1/customers/{Uri.EscapeDataString(externalCustomerId)}/usage" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return SendAsync<CustomerUsage>(HttpMethod.Get, path, null, cancellationToken);
    }

    /// <summary>A usage query; by a feature's meter when <see cref="UsageQuery.MeterId"/> or <see cref="UsageQuery.FeatureId"/> is set.</summary>
    public Task<UsageQueryResult> QueryUsageAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        var path = query.MeterId is not null || query.FeatureId is not null ? "/v1/events/usage/meter" : "/v1/events/usage";
        var body = new Dictionary<string, object?>
        {
            ["event_name"] = query.EventName,
            ["aggregation_type"] = query.AggregationType,
            ["property_name"] = query.PropertyName,
            ["meter_id"] = query.MeterId,
            ["feature_id"] = query.FeatureId,
            ["external_customer_id"] = query.ExternalCustomerId,
            ["start_time"] = query.StartTime is { } s ? EventJson.FormatTimestamp(s) : null,
            ["end_time"] = query.EndTime is { } e ? EventJson.FormatTimestamp(e) : null,
            ["window_size"] = query.WindowSize,
            ["timezone"] = query.Timezone,
            ["filters"] = query.Filters,
            ["billing_anchor"] = query.BillingAnchor is { } a ? EventJson.FormatTimestamp(a) : null,
            ["multiplier"] = query.Multiplier,
            ["bucket_size"] = query.BucketSize,
            ["group_by"] = query.GroupBy,
        };
        // A query reads only: safe to retry although it is a POST.
        return SendAsync<UsageQueryResult>(HttpMethod.Post, path, body.Where(p => p.Value is not null).ToDictionary(), cancellationToken, retrySafe: true);
    }

    /// <summary>Creates a customer; <see cref="FlexpriceApiException"/> with 409 when the external id is taken.</summary>
    public Task<Customer> CreateCustomerAsync(NewCustomer customer, CancellationToken cancellationToken = default) =>
        SendAsync<Customer>(HttpMethod.Post, "/v1/customers", customer, cancellationToken);

    /// <summary>A customer by Flexprice's id (<see cref="Customer.Id"/>, <c>cust_…</c>).</summary>
    public Task<Customer> GetCustomerAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<Customer>(HttpMethod.Get, $"/v1/customers/{Uri.EscapeDataString(id)}", null, cancellationToken);

    public async Task<Page<Customer>> ListCustomersAsync(int limit = 50, int offset = 0, CancellationToken cancellationToken = default)
    {
        var list = await SendAsync<ListBody<Customer>>(HttpMethod.Get, $"/v1/customers?limit={limit}&offset={offset}", null, cancellationToken);
        return new Page<Customer>(list.Items, list.Pagination.Total, list.Pagination.Limit, list.Pagination.Offset);
    }

    public Task<Feature> CreateFeatureAsync(NewFeature feature, CancellationToken cancellationToken = default) =>
        SendAsync<Feature>(HttpMethod.Post, "/v1/features", feature, cancellationToken);

    public async Task<IReadOnlyList<Feature>> ListFeaturesAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<ListBody<Feature>>(HttpMethod.Get, "/v1/features", null, cancellationToken)).Items;

    private async Task<SendResult> SendEventsAsync(string path, HttpContent content, IReadOnlyList<string> ids, bool bulk, CancellationToken cancellationToken)
    {
        content.Headers.ContentType = JsonType;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Options.Set(RetrySafe, true);
        if (bulk)
        {
            // Asks for the duplicates count (and the ids, which the client already knows).
            request.Headers.TryAddWithoutValidation("Prefer", "return=representation");
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var status = (int)response.StatusCode;
            var (error, errors, duplicates) = ErrorBody.Read(body);
            return Classify(response.StatusCode) switch
            {
                SendStatus.Accepted => new SendResult(SendStatus.Accepted, status, ids, duplicates),
                var kind => new SendResult(kind, status, ids, null, error ?? $"{status} {response.ReasonPhrase}", errors, RetryAfter(response.Headers.RetryAfter)),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutRejectedException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new SendResult(SendStatus.Transient, 0, ids, Error: $"no answer: {ex.Message}");
        }
    }

    private static SendStatus Classify(HttpStatusCode code) => (int)code switch
    {
        >= 200 and < 300 => SendStatus.Accepted,
        400 or 409 or 413 or 422 => SendStatus.Refused,
        408 or 429 or >= 500 => SendStatus.Transient,
        _ => SendStatus.Denied,
    };

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken, bool retrySafe = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), JsonType, Json);
        }

        request.Options.Set(RetrySafe, retrySafe || method == HttpMethod.Get);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var (error, errors, _) = ErrorBody.Read(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            throw new FlexpriceApiException(response.StatusCode, error ?? response.ReasonPhrase ?? "", errors ?? []);
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new FlexpriceApiException(response.StatusCode, "empty body", []);
    }

    private sealed record ListBody<T>(IReadOnlyList<T> Items, ListPagination Pagination);

    private sealed record ListPagination(long Total, int Limit, int Offset);
}
