using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Flexprice.Tests.Infrastructure;

/// <summary>
/// The real API in process, co-hosting a real silo over the test PostgreSQL (ADO.NET clustering and
/// storage), on ports of its own and a cluster id of its own. Tests get fresh tenants from it, so
/// they never see each other's data. The spec's rate limits apply (1000 single and 100 bulk requests per
/// minute per key, 60 failed authentications per minute per address); a subclass may change any setting
/// in <see cref="ConfigureSettings"/>, e.g. <c>RateLimits:EventsPerMinute</c>.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string BootstrapKey = "sk_test_bootstrap_admin_key";

    public string ClusterId { get; } = $"test-{Guid.NewGuid():N}";

    /// <summary>
    /// A port free now, below Linux's ephemeral range (32768–60999). A port the kernel hands out
    /// for "any free port" comes from that range, where outgoing connections (to PostgreSQL, between
    /// tests) also take theirs, and one of them can grab it before the server binds it.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("No free port found between 20000 and 32000");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", TestDatabase.ConnectionString);
        builder.UseSetting("FLEXPRICE_BOOTSTRAP_API_KEY", BootstrapKey);
        builder.UseSetting("Orleans:ClusterId", ClusterId);
        builder.UseSetting("Orleans:ServiceId", ClusterId);
        builder.UseSetting("Orleans:SiloPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Tests poll usage freely; the read limit has tests of its own (RateLimitHttpTests).
        builder.UseSetting("RateLimits:ReadsPerMinute", "1000000");
        builder.ConfigureTestServices(services => services.StopHostOnFatalError());
        ConfigureSettings(builder);
    }

    /// <summary>Settings of a derived fixture, applied after the defaults above.</summary>
    protected virtual void ConfigureSettings(IWebHostBuilder builder)
    {
    }

    public async Task InitializeAsync()
    {
        await TestDatabase.ReadyAsync();
        using var client = CreateClient();
        (await client.GetAsync("/health/ready")).EnsureSuccessStatusCode();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>A client that sends no API key.</summary>
    public HttpClient AnonymousClient() => CreateClient();

    /// <summary>A client holding the bootstrap admin key of the default tenant.</summary>
    public HttpClient AdminClient() => ClientWithKey(BootstrapKey);

    public HttpClient ClientWithKey(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return client;
    }

    /// <summary>A new tenant and a client holding its admin key.</summary>
    public async Task<TenantClient> NewTenantAsync()
    {
        using var admin = AdminClient();
        var response = await admin.PostAsJsonAsync("/v1/tenants", new { name = $"tenant-{Guid.NewGuid():N}" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("api_key").GetString()!;
        return new TenantClient(body.GetProperty("id").GetString()!, key, ClientWithKey(key));
    }
}

public sealed record TenantClient(string TenantId, string ApiKey, HttpClient Http) : IDisposable
{
    public void Dispose() => Http.Dispose();

    public async Task<JsonElement> CreateFeatureAsync(string eventName, string aggregation, string? field = null, string? name = null)
    {
        var response = await Http.PostAsJsonAsync("/v1/features", new
        {
            name = name ?? $"{eventName} {aggregation}",
            type = "metered",
            meter = new { event_name = eventName, aggregation = new { type = aggregation, field }, reset_usage = "BILLING_PERIOD" },
        });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> CreateCustomerAsync(string externalId)
    {
        var response = await Http.PostAsJsonAsync("/v1/customers", new { external_id = externalId, name = externalId });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>POSTs raw JSON text, exactly as a client would send it.</summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    /// <summary>POSTs one event, serialised from an anonymous object whose property names are the wire names.</summary>
    public Task<HttpResponseMessage> PostEventAsync(object body) => Http.PostAsJsonAsync("/v1/events", body);

    /// <summary>POSTs <c>{"events": [...]}</c> to the bulk route, asking for the event ids (<c>Prefer: return=representation</c>).</summary>
    public Task<HttpResponseMessage> PostBulkAsync(params object[] events)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events/bulk") { Content = JsonContent.Create(new { events }) };
        request.Headers.Add("Prefer", "return=representation");
        return Http.SendAsync(request);
    }

    /// <summary>GET /v1/customers/{external_customer_id}/usage, the id escaped as a client would.</summary>
    public Task<HttpResponseMessage> GetUsageAsync(string externalCustomerId) =>
        Http.GetAsync($"/v1/customers/{Uri.EscapeDataString(externalCustomerId)}/usage");

    /// <summary>The customer's usage: feature name → the feature's usage entry (<c>value</c>, <c>event_count</c>, …).</summary>
    public async Task<Dictionary<string, JsonElement>> UsageAsync(string externalCustomerId)
    {
        var response = await GetUsageAsync(externalCustomerId);
        var body = await response.ReadJsonAsync(HttpStatusCode.OK);
        return body.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.Clone());
    }

    /// <summary>
    /// The customer's usage once no feature is still catching up (a feature new to the customer reads its earlier
    /// events in the background, marked <c>partial</c> until then); waits at most 30 s.
    /// </summary>
    public async Task<Dictionary<string, JsonElement>> CaughtUpUsageAsync(string externalCustomerId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var usage = await UsageAsync(externalCustomerId);
            if (usage.Values.All(f => !f.TryGetProperty("partial", out _)) || DateTime.UtcNow > deadline)
            {
                return usage;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The customer's usage as the raw response text: equal snapshots mean nothing was counted in between.</summary>
    public async Task<string> UsageSnapshotAsync(string externalCustomerId)
    {
        var response = await GetUsageAsync(externalCustomerId);
        await response.ReadJsonAsync(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }
}

public static class HttpResponseAssertions
{
    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {text}");
        Assert.True(text.Length > 0, $"Expected a JSON body with {(int)expected}, got none");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Asserts the error shape: status, and a body that is exactly the spec's <c>{"error": message}</c> plus what
    /// Flexprice's SDKs read (<c>message</c>, the same text; <c>code</c>; <c>http_status_code</c>).
    /// </summary>
    public static async Task AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string message)
    {
        var body = await response.ReadJsonAsync(expected);
        AssertErrorBody(body, expected, message);
    }

    public static void AssertErrorBody(JsonElement body, HttpStatusCode expected, string message)
    {
        Assert.Equal(message, body.GetProperty("error").GetString());
        Assert.Equal(message, body.GetProperty("message").GetString());
        Assert.Equal((int)expected, body.GetProperty("http_status_code").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("code").GetString()));
        Assert.Equal(["code", "error", "http_status_code", "message"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFactory>
{
    public const string Name = "api";
}
