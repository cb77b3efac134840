using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", TestDatabase.ConnectionString);
        builder.UseSetting("FLEXPRICE_BOOTSTRAP_API_KEY", BootstrapKey);
        builder.UseSetting("Orleans:ClusterId", ClusterId);
        builder.UseSetting("Orleans:ServiceId", ClusterId);
        builder.UseSetting("Orleans:SiloPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
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

    /// <summary>The customer's usage: feature name → value (number or string).</summary>
    public async Task<Dictionary<string, JsonElement>> UsageAsync(string externalCustomerId)
    {
        var response = await Http.GetAsync($"/v1/customers/{Uri.EscapeDataString(externalCustomerId)}/usage");
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.Clone());
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFactory>
{
    public const string Name = "api";
}
