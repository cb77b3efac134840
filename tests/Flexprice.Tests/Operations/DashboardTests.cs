using System.Net;
using System.Net.Http.Json;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Flexprice.Tests.Operations;

/// <summary>The API with the Orleans Dashboard on (<c>Dashboard__Enabled=true</c>).</summary>
public sealed class DashboardApiFactory : ApiFactory
{
    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Dashboard:Enabled", "true");

    /// <summary>A browser-like client: keeps cookies, does not follow redirects (so the test sees them).</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
}

/// <summary>
/// <c>/dashboard</c> for operators only: a sign-in form takes an admin key of the default tenant and answers with
/// an HttpOnly, SameSite=Strict session cookie; nothing of the dashboard is served without it.
/// </summary>
public sealed class DashboardTests(DashboardApiFactory api) : IClassFixture<DashboardApiFactory>
{
    [Fact]
    public async Task Without_a_session_pages_go_to_the_sign_in_form_and_data_is_refused()
    {
        using var browser = api.Browser();

        using var page = await browser.GetAsync("/dashboard/");
        using var data = await browser.GetAsync("/dashboard/ClusterStats");
        using var form = await browser.GetAsync("/dashboard/login");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/dashboard/login", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("name=\"api_key\"", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_key_of_another_tenant_or_a_wrong_key_gets_no_session()
    {
        using var tenant = await api.NewTenantAsync();
        using var browser = api.Browser();

        foreach (var key in new[] { tenant.ApiKey, "sk_not_a_key", "" })
        {
            using var response = await browser.PostAsync("/dashboard/login", Form(key));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest, $"key '{key}': {(int)response.StatusCode}");
            Assert.False(response.Headers.Contains("Set-Cookie"), $"key '{key}' got a cookie");
        }

        using var data = await browser.GetAsync("/dashboard/ClusterStats");
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
    }

    [Fact]
    public async Task The_operator_key_signs_in_and_the_dashboard_answers_with_cluster_data()
    {
        using var browser = api.Browser();

        using var signIn = await browser.PostAsync("/dashboard/login", Form(ApiFactory.BootstrapKey));

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("flexprice_dashboard=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/dashboard", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ApiFactory.BootstrapKey, cookie, StringComparison.Ordinal);

        using var page = await browser.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        // The dashboard gathers the cluster's figures in the background (about once a second): until its first round
        // it answers zero hosts, so ask again until they are there (at most 30 s).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        System.Text.Json.JsonElement counters;
        while (true)
        {
            using var stats = await browser.GetAsync("/dashboard/DashboardCounters");
            counters = await stats.ReadJsonAsync(HttpStatusCode.OK);
            if (counters.GetProperty("totalActiveHostCount").GetInt32() >= 1 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(counters.GetProperty("totalActiveHostCount").GetInt32() >= 1, counters.ToString());

        // A cookie that was not sealed by the server is worth nothing.
        using var forged = api.Browser();
        forged.DefaultRequestHeaders.Add("Cookie", "flexprice_dashboard=" + cookie.Split(';')[0].Split('=', 2)[1][..^4] + "AAAA");
        using var refused = await forged.GetAsync("/dashboard/DashboardCounters");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_is_off_unless_enabled()
    {
        using var plain = new ApiFactory();
        await plain.InitializeAsync();
        using var client = plain.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/dashboard/login")).StatusCode);
    }

    private static FormUrlEncodedContent Form(string key) => new([new KeyValuePair<string, string>("api_key", key)]);
}
