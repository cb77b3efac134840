using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.RateLimiting;

/// <summary>
/// The API with a small failed-authentication budget, and a client address taken from the test header
/// <see cref="ClientAddressHeader"/> (the in-process server has none of its own), so throttling one
/// address leaves the others, and the rest of the tests, alone.
/// </summary>
public sealed class RateLimitApiFactory : ApiFactory
{
    public const string ClientAddressHeader = "X-Test-Client-Address";
    public const int FailedAuthPerMinute = 5;
    public const int FailedAuthConcurrency = 1;
    public const int ReadsPerMinute = 30;
    public static readonly TimeSpan FailedAuthPenalty = TimeSpan.FromMilliseconds(200);

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimits:FailedAuthPerMinute", FailedAuthPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimits:FailedAuthConcurrency", FailedAuthConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimits:FailedAuthPenalty", FailedAuthPenalty.ToString());
        builder.UseSetting("RateLimits:ReadsPerMinute", ReadsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, ClientAddressFromHeader>());
    }

    /// <summary>A new API key of <paramref name="tenant"/> with its own limits; returns its id and a client holding it.</summary>
    public async Task<(string Id, HttpClient Client)> NewKeyAsync(TenantClient tenant, int? eventsPerMinute, int? bulkPerMinute)
    {
        var response = await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new
        {
            name = "limited",
            rate_limits = new { events_per_minute = eventsPerMinute, bulk_per_minute = bulkPerMinute },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (body.GetProperty("id").GetString()!, ClientWithKey(body.GetProperty("api_key").GetString()!));
    }

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (IPAddress.TryParse(http.Request.Headers[ClientAddressHeader], out var address))
                {
                    http.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class RateLimitApiCollection : ICollectionFixture<RateLimitApiFactory>
{
    public const string Name = "rate-limit api";
}

/// <summary>A second API node: an Orleans client (<c>Orleans:Mode=client</c>) of the silo co-hosted by <paramref name="silo"/>.</summary>
public sealed class ClientModeApi(ApiFactory silo) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", TestDatabase.ConnectionString);
        builder.UseSetting("Orleans:Mode", "client");
        builder.UseSetting("Orleans:ClusterId", silo.ClusterId);
        builder.UseSetting("Orleans:ServiceId", silo.ClusterId);
    }

    public HttpClient ClientWithKey(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return client;
    }
}
