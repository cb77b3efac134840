using System.Diagnostics;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Operations;

/// <summary>
/// Logs by configuration: with <c>Logging__Console__FormatterName=json</c> every console line is a JSON object,
/// and every line written while a request is handled carries the request's id, the one in <c>X-Request-Id</c>.
/// </summary>
public sealed class RequestIdLogTests(TelemetryServerFixture fixture) : IClassFixture<TelemetryServerFixture>
{
    private const string RoutingCategory = "Microsoft.AspNetCore.Routing";

    [Fact]
    public async Task A_sane_incoming_request_id_is_echoed_and_on_every_log_line_of_the_request()
    {
        using var http = new HttpClient { BaseAddress = fixture.Settings.BaseAddress };
        var id = $"client-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("X-Request-Id", id);

        using var response = await http.SendAsync(request);

        Assert.Equal(id, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        var lines = await LinesOfAsync(id);
        Assert.Contains(lines, l => l.GetProperty("Category").GetString()!.StartsWith(RoutingCategory, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("has spaces in it")]
    [InlineData("line\tbreak")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task A_missing_or_insane_request_id_is_replaced_by_a_new_one(string? incoming)
    {
        using var http = new HttpClient { BaseAddress = fixture.Settings.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        if (incoming is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", incoming);
        }

        using var response = await http.SendAsync(request);

        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.NotEqual(incoming, id);
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.NotEmpty(await LinesOfAsync(id));
    }

    [Fact]
    public async Task Console_lines_are_json_and_no_routing_line_lacks_a_request_id()
    {
        using var http = new HttpClient { BaseAddress = fixture.Settings.BaseAddress };
        for (var i = 0; i < 5; i++)
        {
            (await http.GetAsync("/health/live")).EnsureSuccessStatusCode();
        }

        var id = $"last-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("X-Request-Id", id);
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
        await LinesOfAsync(id);

        var lines = Lines();
        Assert.NotEmpty(lines);
        var routing = lines.Where(l => l.GetProperty("Category").GetString()!.StartsWith(RoutingCategory, StringComparison.Ordinal)).ToList();
        Assert.True(routing.Count >= 6, $"expected routing lines for every request, found {routing.Count}");
        Assert.All(routing, l => Assert.NotNull(RequestIdOf(l)));
    }

    /// <summary>The JSON lines the server wrote with this request id, waiting (bounded) for the console logger's queue to drain.</summary>
    private async Task<List<JsonElement>> LinesOfAsync(string id)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var mine = Lines().Where(l => RequestIdOf(l) == id).ToList();
            if (mine.Count > 0 || watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.True(mine.Count > 0, $"no log line carries RequestId {id}; the server wrote:\n{fixture.Server.Tail(30)}");
                return mine;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every line of the server's output, each parsed as a JSON object (a line that is not fails the test).</summary>
    private List<JsonElement> Lines()
    {
        var result = new List<JsonElement>();
        foreach (var line in fixture.Server.Output.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            JsonElement parsed;
            try
            {
                using var document = JsonDocument.Parse(line);
                parsed = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"a console line is not JSON ({ex.Message}): {line}");
            }

            Assert.Equal(JsonValueKind.Object, parsed.ValueKind);
            result.Add(parsed);
        }

        return result;
    }

    private static string? RequestIdOf(JsonElement line) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out _))
                .Select(s => s.GetProperty("RequestId").GetString()).LastOrDefault()
            : null;
}
