using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Sdk;

/// <summary>
/// Flexprice's official TypeScript SDK (<c>@flexprice/sdk</c> 2.0.1, installed from npm by <see cref="NodeTools"/>), unchanged,
/// against the real server process: <c>tests/sdk-conformance/conformance.mjs</c> makes each call and reports it on a line
/// of its own; every call must return what it should (or throw carrying the server's status and message, for the errors).
/// </summary>
public sealed class SdkConformanceTests(ITestOutputHelper output)
{
    /// <summary>The calls the script makes; a script that stops early or skips a call fails here.</summary>
    private const int ExpectedCalls = 28;

    private sealed record CallReport(string Call, string Route, string Expect, bool Ok, string Detail);

    [Fact]
    public async Task Every_call_of_the_official_TypeScript_SDK_works_unchanged()
    {
        await NodeTools.RequireAsync();
        var folder = await NodeTools.InstallAsync();

        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "sdk");
        using var server = await ServerProcess.StartAsync(settings, TimeSpan.FromSeconds(90));
        using var http = new HttpClient { BaseAddress = settings.BaseAddress };
        http.DefaultRequestHeaders.Add("x-api-key", settings.BootstrapKey);
        var tenant = await (await http.PostAsJsonAsync("/v1/tenants", new { name = "sdk-conformance" })).ReadJsonAsync(HttpStatusCode.Created);
        var key = tenant.GetProperty("api_key").GetString()!;

        var run = await NodeTools.TryRunAsync("node", ["conformance.mjs", $"{settings.BaseAddress}v1", key], folder, TimeSpan.FromMinutes(3))
            ?? throw new InvalidOperationException("node could not be started");
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);

        var reports = new List<CallReport>();
        JsonElement? summary = null;
        foreach (var line in run.StandardOutput.Split('\n').Where(l => l.StartsWith('{')))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.TryGetProperty("summary", out var s))
            {
                summary = s.Clone();
                continue;
            }

            reports.Add(new CallReport(
                root.GetProperty("call").GetString()!, root.GetProperty("route").GetString()!, root.GetProperty("expect").GetString()!,
                root.GetProperty("ok").GetBoolean(), root.GetProperty("detail").GetString()!));
        }

        var failures = reports.Where(r => !r.Ok).Select(r => $"{r.Call} ({r.Route}), expected {r.Expect}: {r.Detail}").ToList();
        Assert.True(failures.Count == 0, $"SDK calls that did not work:\n{string.Join('\n', failures)}\n{run.StandardError}");
        Assert.True(summary is not null, $"The script did not finish (exit {run.ExitCode}):\n{run.StandardOutput}\n{run.StandardError}");
        Assert.Equal(ExpectedCalls, reports.Count);
        Assert.Equal(ExpectedCalls, summary.Value.GetProperty("passed").GetInt32());
        Assert.Equal(0, run.ExitCode);

        // Every route the SDK called is in the OpenAPI document.
        using var openApi = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = openApi.RootElement.GetProperty("paths");
        foreach (var route in reports.Select(r => r.Route).Distinct())
        {
            var (method, path) = (route.Split(' ')[0].ToLowerInvariant(), route.Split(' ')[1]);
            Assert.True(
                paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _),
                $"{route} is not in /openapi/v1.json");
        }
    }
}
