using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.RateLimiting;

/// <summary>The spec's "Rate Limits" over HTTP: 429, its body and headers, per-key limits, the failed-authentication throttle.</summary>
[Collection(RateLimitApiCollection.Name)]
public sealed class RateLimitHttpTests(RateLimitApiFactory api)
{
    private const string RateLimitBody = """{"error":"Rate limit exceeded. Try again later.","message":"Rate limit exceeded. Try again later.","code":"too_many_requests","http_status_code":429}""";

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static string Event(string customer) =>
        $$"""{"event_name": "api.calls", "external_customer_id": "{{customer}}", "event_id": "{{Guid.NewGuid():N}}"}""";

    private static long Header(HttpResponseMessage response, string name) =>
        long.Parse(Assert.Single(response.Headers.GetValues(name)), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<TenantClient> TenantWithCustomerAsync(RateLimitApiFactory api)
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        return tenant;
    }

    [Fact]
    public async Task Over_the_limit_gets_429_with_the_spec_body_and_retry_after()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (_, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 3, bulkPerMinute: null);
        using var _client = client;

        for (var i = 2; i >= 0; i--)
        {
            var accepted = await client.PostAsync("/v1/events", Json(Event("cust_1")));
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(3, Header(accepted, "X-RateLimit-Limit"));
            Assert.Equal(i, Header(accepted, "X-RateLimit-Remaining"));
        }

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var refused = await client.PostAsync("/v1/events", Json(Event("cust_1")));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(RateLimitBody, await refused.Content.ReadAsStringAsync());
        Assert.Equal("application/json; charset=utf-8", refused.Content.Headers.ContentType?.ToString());
        Assert.Equal(3, Header(refused, "X-RateLimit-Limit"));
        Assert.Equal(0, Header(refused, "X-RateLimit-Remaining"));
        var retryAfter = refused.Headers.RetryAfter?.Delta?.TotalSeconds;
        Assert.InRange(retryAfter ?? 0, 50, 60);
        Assert.InRange(Header(refused, "X-RateLimit-Reset"), before + 50, before + 61);
        Assert.Equal(3m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Every_answer_of_the_limited_routes_carries_the_headers()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (_, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 10, bulkPerMinute: 5);
        using var _client = client;

        var badJson = await client.PostAsync("/v1/events", Json("{"));
        var unknownCustomer = await client.PostAsync("/v1/events", Json(Event("nobody")));
        var bulk = await client.PostAsync("/v1/events/bulk", Json($$"""{"events": [{{Event("cust_1")}}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal(9, Header(badJson, "X-RateLimit-Remaining"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownCustomer.StatusCode);
        Assert.Equal(8, Header(unknownCustomer, "X-RateLimit-Remaining"));
        Assert.Equal(HttpStatusCode.Accepted, bulk.StatusCode);
        Assert.Equal(5, Header(bulk, "X-RateLimit-Limit"));
        Assert.Equal(4, Header(bulk, "X-RateLimit-Remaining"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(Header(bulk, "X-RateLimit-Reset"), now + 55, now + 61);

        // Routes that are not limited say nothing about limits.
        var health = await client.GetAsync("/health/live");
        Assert.False(health.Headers.Contains("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Read_routes_share_a_budget_of_their_own_apart_from_ingest()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (_, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 5, bulkPerMinute: 5);
        using var _client = client;
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
        string[] reads = ["GET /v1/customers/cust_1/usage", "GET /v1/events", "POST /v1/events/query", "GET /v1/features", "GET /v1/customers", "POST /v1/events/usage"];
        const string usageBody = """{"event_name": "api.calls", "aggregation_type": "COUNT", "start_time": "2020-01-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z"}""";

        for (var i = 0; i < RateLimitApiFactory.ReadsPerMinute; i++)
        {
            var (method, path) = (reads[i % reads.Length].Split(' ')[0], reads[i % reads.Length].Split(' ')[1]);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json(path.EndsWith("usage", StringComparison.Ordinal) ? usageBody : "{}") : null };
            var answer = await client.SendAsync(request);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{method} {path}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            Assert.Equal(RateLimitApiFactory.ReadsPerMinute, Header(answer, "X-RateLimit-Limit"));
            Assert.Equal(RateLimitApiFactory.ReadsPerMinute - 1 - i, Header(answer, "X-RateLimit-Remaining"));
        }

        var refused = await client.PostAsync("/v1/events/usage", Json(usageBody));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(RateLimitBody, await refused.Content.ReadAsStringAsync());
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/v1/events")).StatusCode);
        // Ingest keeps its own budget, and another key of the tenant its own reads.
        var ingest = await client.PostAsync("/v1/events", Json(Event("cust_1")));
        Assert.Equal(HttpStatusCode.Accepted, ingest.StatusCode);
        Assert.Equal(3, Header(ingest, "X-RateLimit-Remaining"));
        Assert.Equal(HttpStatusCode.OK, (await tenant.Http.GetAsync("/v1/events")).StatusCode);
    }

    [Fact]
    public async Task Refused_request_is_not_read_and_stores_nothing()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (_, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 1, bulkPerMinute: 1);
        using var _client = client;
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/v1/events/bulk", Json($$"""{"events": [{{Event("cust_1")}}]}"""))).StatusCode);

        // Malformed bodies get 429, not 400: the body was never parsed.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync("/v1/events", Json("not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync("/v1/events/bulk", Json("not json"))).StatusCode);
        var refused = await client.PostAsync("/v1/events", Json(Event("cust_1")));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        Assert.Equal(2, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
        Assert.Equal(2, await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant.TenantId)));
    }

    [Fact]
    public async Task Bulk_and_single_routes_and_keys_have_separate_budgets()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (_, first) = await api.NewKeyAsync(tenant, eventsPerMinute: 2, bulkPerMinute: 1);
        var (_, second) = await api.NewKeyAsync(tenant, eventsPerMinute: 2, bulkPerMinute: 1);
        using var _first = first;
        using var _second = second;
        var bulk = $$"""{"events": [{{Event("cust_1")}}, {{Event("cust_1")}}]}""";

        Assert.Equal(HttpStatusCode.Accepted, (await first.PostAsync("/v1/events/bulk", Json(bulk))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.PostAsync("/v1/events/bulk", Json(bulk))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await first.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await second.PostAsync("/v1/events/bulk", Json(bulk))).StatusCode);
    }

    [Fact]
    public async Task Keys_list_shows_each_keys_limits_and_never_a_raw_key()
    {
        using var tenant = await api.NewTenantAsync();
        var (id, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 600_000, bulkPerMinute: 6_000);
        client.Dispose();

        var response = await tenant.Http.GetAsync("/v1/secrets/api/keys");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(tenant.ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("api_key", text, StringComparison.Ordinal);
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!);
        Assert.Equal(600_000, keys[id].GetProperty("rate_limits").GetProperty("events_per_minute").GetInt32());
        Assert.Equal(6_000, keys[id].GetProperty("rate_limits").GetProperty("bulk_per_minute").GetInt32());
        var admin = keys.Values.Single(k => k.GetProperty("id").GetString() != id);
        Assert.Equal(1000, admin.GetProperty("rate_limits").GetProperty("events_per_minute").GetInt32());
        Assert.Equal(100, admin.GetProperty("rate_limits").GetProperty("bulk_per_minute").GetInt32());
    }

    [Fact]
    public async Task Patched_limit_holds_from_the_next_request()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var (id, client) = await api.NewKeyAsync(tenant, eventsPerMinute: 2, bulkPerMinute: null);
        using var _client = client;
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);

        var patched = await tenant.Http.PatchAsJsonAsync($"/v1/secrets/api/keys/{id}", new { rate_limits = new { events_per_minute = 4 } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, body.GetProperty("rate_limits").GetProperty("events_per_minute").GetInt32());
        Assert.Equal(100, body.GetProperty("rate_limits").GetProperty("bulk_per_minute").GetInt32());

        // Two more, counted with the two already accepted in this minute.
        for (var i = 1; i >= 0; i--)
        {
            var accepted = await client.PostAsync("/v1/events", Json(Event("cust_1")));
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(4, Header(accepted, "X-RateLimit-Limit"));
            Assert.Equal(i, Header(accepted, "X-RateLimit-Remaining"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);

        // Lowered below what was already accepted: refused at once.
        await tenant.Http.PatchAsJsonAsync($"/v1/secrets/api/keys/{id}", new { rate_limits = new { events_per_minute = 1 } });
        var lowered = await client.PostAsync("/v1/events", Json(Event("cust_1")));
        Assert.Equal(HttpStatusCode.TooManyRequests, lowered.StatusCode);
        Assert.Equal(1, Header(lowered, "X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Only_admin_keys_set_limits_and_the_values_are_checked()
    {
        using var tenant = await api.NewTenantAsync();
        var plain = await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "plain" });
        var plainBody = await plain.Content.ReadFromJsonAsync<JsonElement>();
        using var plainClient = api.ClientWithKey(plainBody.GetProperty("api_key").GetString()!);
        var id = plainBody.GetProperty("id").GetString()!;

        var forbidden = await plainClient.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "mine", rate_limits = new { events_per_minute = 600_000 } });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var forbiddenPatch = await plainClient.PatchAsJsonAsync($"/v1/secrets/api/keys/{id}", new { rate_limits = new { events_per_minute = 600_000 } });
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenPatch.StatusCode);

        var zero = await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "zero", rate_limits = new { bulk_per_minute = 0 } });
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal("Invalid value for field: rate_limits.bulk_per_minute must be 1 to 1000000", (await zero.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var missing = await tenant.Http.PatchAsJsonAsync("/v1/secrets/api/keys/key_nope", new { rate_limits = new { bulk_per_minute = 5 } });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Guessing_keys_from_one_address_is_throttled_and_valid_keys_are_not()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var guesser = $"198.51.100.{Random.Shared.Next(1, 255)}";
        using var guessing = api.CreateClient();
        guessing.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, guesser);
        tenant.Http.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, guesser);
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", Event("cust_1"))).StatusCode);

        for (var i = 0; i < RateLimitApiFactory.FailedAuthPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(guessing, $"sk_guess_{i}")).StatusCode);
        }

        var throttled = await SendAsync(guessing, "sk_guess_more");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(RateLimitBody, await throttled.Content.ReadAsStringAsync());
        Assert.InRange(throttled.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 50, 60);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(guessing, "sk_guess_again")).StatusCode);

        // Behind the same address: the key that worked before, and a key this node has never seen,
        // created while the address is blocked, both work at once. Guesses from another address are untouched.
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", Event("cust_1"))).StatusCode);
        var (_, fresh) = await api.NewKeyAsync(tenant, null, null);
        using (fresh)
        {
            fresh.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, guesser);
            Assert.Equal(HttpStatusCode.Accepted, (await fresh.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
        }

        using var other = api.CreateClient();
        other.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, "203.0.113.7");
        other.DefaultRequestHeaders.Add("x-api-key", "sk_wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.PostAsync("/v1/events", Json(Event("cust_1")))).StatusCode);
    }

    [Fact]
    public async Task A_blocked_address_gets_few_answers_to_its_guesses_however_many_it_sends_at_once()
    {
        using var tenant = await TenantWithCustomerAsync(api);
        var guesser = $"198.51.100.{Random.Shared.Next(1, 255)}";
        using var guessing = api.CreateClient();
        guessing.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, guesser);
        tenant.Http.DefaultRequestHeaders.Add(RateLimitApiFactory.ClientAddressHeader, guesser);
        var window = TimeSpan.FromSeconds(2);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var answered = 0;

        // 16 guessers at once from one address, for the window.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async g =>
        {
            while (stopwatch.Elapsed < window)
            {
                var response = await SendAsync(guessing, $"sk_guess_{g}_{Guid.NewGuid():N}");
                Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{response.StatusCode}");
                Interlocked.Increment(ref answered);
            }
        }));
        var elapsed = stopwatch.Elapsed;

        // The budget, then one held answer per penalty (FailedAuthConcurrency held at once), plus what was in flight.
        var bound = RateLimitApiFactory.FailedAuthPerMinute
            + (RateLimitApiFactory.FailedAuthConcurrency * (int)Math.Ceiling(elapsed / RateLimitApiFactory.FailedAuthPenalty)) + 16;
        Assert.InRange(answered, RateLimitApiFactory.FailedAuthPerMinute, bound);

        // The valid key behind the same address still works.
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", Event("cust_1"))).StatusCode);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Json(Event("cust_1")) };
        request.Headers.Add("x-api-key", key);
        return await client.SendAsync(request);
    }
}
