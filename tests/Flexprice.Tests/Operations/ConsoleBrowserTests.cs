using System.Globalization;
using System.Net;
using System.Text;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Flexprice.Tests.Operations;

/// <summary>
/// The console in headless Chromium against the real server (its own process, dashboard on): sign in with an API
/// key, open a customer, and the usage the page shows is the API's, in the table and summed over the chart's bars,
/// in the time zone the user picks. Screenshots go to <c>.data/test-artifacts/</c>.
/// </summary>
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private ServerProcess? _server;
    private ServerSettings _settings = null!;

    public async Task InitializeAsync()
    {
        _settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "console") with
        {
            Extra = new Dictionary<string, string> { ["Dashboard__Enabled"] = "true" },
        };
        _server = await ServerProcess.StartAsync(_settings, TimeSpan.FromSeconds(90));
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Signed_in_the_console_shows_a_customers_usage_as_the_api_reports_it()
    {
        var tenant = await EventLedger.NewTenantAsync(_settings, customers: 2);
        using var http = EventLedger.Client(_settings.BaseAddress, tenant.ApiKey);
        var now = DateTime.UtcNow;
        var events = Enumerable.Range(0, 12).Select(i =>
            $$$"""{"event_id":"console-{{{i}}}","event_name":"{{{EventLedger.EventName}}}","external_customer_id":"cust-1","timestamp":"{{{now.AddMinutes(-37 * i).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}}}","properties":{"credits":{{{(1.5m + i).ToString(CultureInfo.InvariantCulture)}}},"model":"gpt-4o"}}""");
        using (var bulk = await http.PostAsync("/v1/events/bulk", new StringContent($$"""{"events":[{{string.Join(',', events)}}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, bulk.StatusCode);
        }

        using (var refused = await http.PostAsync("/v1/events", new StringContent("""{"event_name":"model.usage"}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var usage = await EventLedger.UsageAsync(http, "cust-1");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 }, TimezoneId = "UTC" });
        var external = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(_settings.BaseAddress.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                external.Add(request.Url);
            }
        };

        // Sign in; a wrong key is refused on the page.
        await page.GotoAsync(new Uri(_settings.BaseAddress, "/console/").ToString());
        await page.FillAsync("#api-key", "sk_wrong");
        await page.ClickAsync("#signin-form button[type=submit]");
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("refused");
        await page.FillAsync("#api-key", tenant.ApiKey);
        await page.ClickAsync("#signin-form button[type=submit]");

        // Customers, then one customer.
        await page.ClickAsync("tr[data-customer='cust-1'] a");
        var value = page.Locator($"#usage-table tr[data-feature='{EventLedger.SumFeature}'] td.value");
        await Assertions.Expect(value).Not.ToBeEmptyAsync();
        Assert.Equal(usage.Credits, decimal.Parse(await value.TextContentAsync() ?? "", CultureInfo.InvariantCulture));
        var count = page.Locator($"#usage-table tr[data-feature='{EventLedger.SumFeature}'] td.count");
        Assert.Equal(usage.CreditsEventCount.ToString(CultureInfo.InvariantCulture), await count.TextContentAsync());

        // The chart, for the SUM feature, hourly in Kolkata (UTC+05:30): its bars add up to the API's usage, and
        // every window starts on a Kolkata hour, which is half past a UTC hour.
        await page.SelectOptionAsync("#chart-feature", new SelectOptionValue { Label = EventLedger.SumFeature });
        await page.SelectOptionAsync("#chart-window", "HOUR");
        await page.FillAsync("#chart-zone", "Asia/Kolkata");
        await page.ClickAsync("#chart-form button[type=submit]");
        await Assertions.Expect(page.Locator("#chart-summary")).ToContainTextAsync("source");
        Assert.Equal(usage.Credits, decimal.Parse(await page.Locator("#chart-summary").GetAttributeAsync("data-value") ?? "", CultureInfo.InvariantCulture));
        var bars = page.Locator("#usage-chart rect.bar");
        var barCount = await bars.CountAsync();
        Assert.InRange(barCount, 2, 12);
        decimal barSum = 0;
        long barEvents = 0;
        for (var i = 0; i < barCount; i++)
        {
            barSum += decimal.Parse(await bars.Nth(i).GetAttributeAsync("data-value") ?? "", CultureInfo.InvariantCulture);
            barEvents += long.Parse(await bars.Nth(i).GetAttributeAsync("data-count") ?? "", CultureInfo.InvariantCulture);
            var start = DateTime.Parse(await bars.Nth(i).GetAttributeAsync("data-start") ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            Assert.Equal(30, start.Minute);
        }

        Assert.Equal(usage.Credits, barSum);
        Assert.Equal(12, barEvents);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(HeadlessChromium.ArtifactsDirectory, "console-usage.png"), FullPage = true });

        // The event debugger: the customer's events, and what one of them fed.
        await page.ClickAsync("#customer-events");
        await Assertions.Expect(page.Locator("#events-table tbody tr")).ToHaveCountAsync(12);
        await page.ClickAsync("#events-table tr[data-event-id='console-3']");
        await Assertions.Expect(page.Locator("#lookup-features tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#lookup-features")).ToContainTextAsync("4.5");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(HeadlessChromium.ArtifactsDirectory, "console-events.png"), FullPage = true });

        // Recent rejections: the refused request above.
        await page.ClickAsync("nav a[data-view='rejections']");
        await Assertions.Expect(page.Locator("#rejections-table tbody")).ToContainTextAsync("Missing required field: external_customer_id");

        Assert.True(external.Count == 0, $"the console fetched from elsewhere: {string.Join(", ", external)}");
    }

    [Fact]
    public async Task The_dashboard_and_the_api_reference_render_in_a_browser()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

        await page.GotoAsync(new Uri(_settings.BaseAddress, "/dashboard").ToString());
        await page.FillAsync("#api_key", _settings.BootstrapKey);
        await page.ClickAsync("button[type=submit]");
        // The page's own check below is what counts; its "load" event (WaitForURL's default) once took over 30 s in a
        // full test run on a busy machine, with the network already idle.
        await page.WaitForURLAsync("**/dashboard/", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.WaitForTimeoutAsync(4000);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(HeadlessChromium.ArtifactsDirectory, "dashboard.png") });
        await Assertions.Expect(page.GetByText("Total activations")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 20_000 });

        await page.GotoAsync(new Uri(_settings.BaseAddress, "/scalar/").ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Flexprice API" })).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await page.GetByText("Events", new PageGetByTextOptions { Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.GetByText("Send one usage event").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await page.WaitForTimeoutAsync(1000);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(HeadlessChromium.ArtifactsDirectory, "scalar.png") });
    }
}
