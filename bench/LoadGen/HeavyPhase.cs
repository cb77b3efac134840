using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Flexprice.Bench;

/// <summary>
/// <c>scripts/bench --heavy</c>: what heavy reads and a feature added late cost ingestion. A customer with
/// <c>--heavy-events</c> events (1,000,000) over the past year is made through bulk ingest; then 4 connections send
/// single events alone, and again next to 4 clients running hostile queries back to back (a group_by over 100,000
/// values, a year of DAY windows tenant-wide, the big customer's usage over the year); each query's status and time,
/// ingest p99 alone and beside them, and the server's RSS. Last, a feature is created on the big customer while events
/// for it keep coming: the slowest of those requests, and how long until its usage is no longer partial.
/// </summary>
public sealed class HeavyPhase(BenchOptions options, int events)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(5) };
    private string _key = "";

    public async Task<int> RunAsync()
    {
        var created = await Workload.SendAsync(_http, HttpMethod.Post, "/v1/tenants", options.AdminKey, new { name = $"heavy-{Guid.NewGuid():N}" });
        _key = created.GetProperty("api_key").GetString()!;
        await Workload.SendAsync(_http, HttpMethod.Post, "/v1/features", _key, new { name = "tokens", type = "metered", meter = new { event_name = "heavy.tokens", aggregation = new { type = "SUM", field = "v" } } });
        await Workload.SendAsync(_http, HttpMethod.Post, "/v1/features", _key, new { name = "calls", type = "metered", meter = new { event_name = "api.calls", aggregation = new { type = "COUNT" } } });
        await Workload.SendAsync(_http, HttpMethod.Post, "/v1/customers", _key, new { external_id = "big" });
        for (var c = 0; c < 100; c++)
        {
            await Workload.SendAsync(_http, HttpMethod.Post, "/v1/customers", _key, new { external_id = $"small{c}" });
        }

        var clock = Stopwatch.StartNew();
        await FillAsync();
        Console.WriteLine($"heavy: {events} events for customer 'big' over the past year in {clock.Elapsed.TotalSeconds:F0} s; machine: {Machine.Describe()}, load average {Machine.LoadAverage()}");

        var alone = await IngestAsync(TimeSpan.FromSeconds(20), "small");
        Console.WriteLine($"ingest alone (4 connections): {alone.EventsPerSecond:F0} ev/s, p50 {alone.Percentile(0.5):F1} p99 {alone.Percentile(0.99):F1} max {alone.Percentile(1):F1} ms, failed {alone.Failed}");

        var rssBefore = Rss();
        using var stop = new CancellationTokenSource();
        var queries = Enumerable.Range(0, 4).Select(q => QueriesAsync(q, stop.Token)).ToArray();
        long peakRss = 0;
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Rss());
                await Task.Delay(200, CancellationToken.None);
            }
        });
        var beside = await IngestAsync(TimeSpan.FromSeconds(30), "small");
        await stop.CancelAsync();
        var answers = (await Task.WhenAll(queries)).SelectMany(a => a).ToList();
        await sampling;
        Console.WriteLine($"ingest beside 4 heavy query clients: {beside.EventsPerSecond:F0} ev/s, p50 {beside.Percentile(0.5):F1} p99 {beside.Percentile(0.99):F1} max {beside.Percentile(1):F1} ms, failed {beside.Failed}");
        Console.WriteLine($"ratio ingest_p99_beside_heavy_vs_alone: {beside.Percentile(0.99) / alone.Percentile(0.99):F2}");
        foreach (var group in answers.GroupBy(a => a.Query))
        {
            var times = group.Select(a => a.Seconds).Order().ToList();
            Console.WriteLine($"  query {group.Key}: {group.Count()} answered, statuses {string.Join(", ", group.GroupBy(a => a.Status).Select(s => $"{s.Key}×{s.Count()}"))}, " +
                $"time median {times[times.Count / 2]:F2} s, max {times[^1]:F2} s");
        }

        Console.WriteLine($"server RSS before {rssBefore / 1048576.0:F0} MB, peak beside the queries {peakRss / 1048576.0:F0} MB (growth {(peakRss - rssBefore) / 1048576.0:F0} MB)");

        // A feature added while the big customer keeps sending: its log is folded in the background, in chunks.
        var ingest = IngestAsync(TimeSpan.FromSeconds(40), "big");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var createdAt = Stopwatch.StartNew();
        await Workload.SendAsync(_http, HttpMethod.Post, "/v1/features", _key, new { name = "peak", type = "metered", meter = new { event_name = "heavy.tokens", aggregation = new { type = "MAX", field = "v" } } });
        double? caughtUp = null;
        while (createdAt.Elapsed < TimeSpan.FromSeconds(30) && caughtUp is null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/customers/big/usage");
            request.Headers.Add("x-api-key", _key);
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && body.Contains("\"peak\"", StringComparison.Ordinal) && !body.Contains("\"partial\"", StringComparison.Ordinal))
            {
                caughtUp = createdAt.Elapsed.TotalSeconds;
            }

            await Task.Delay(100);
        }

        var hot = await ingest;
        Console.WriteLine($"feature created on 'big' ({events} events) while it sends: ingest p99 {hot.Percentile(0.99):F1} max {hot.Percentile(1):F1} ms, failed {hot.Failed}; caught up after {(caughtUp is { } s ? $"{s:F1} s" : "more than 30 s")}");
        return hot.Failed + beside.Failed + alone.Failed == 0 ? 0 : 1;
    }

    private long Rss() => options.ServerPid is { } pid ? Proc.RssBytes(pid) : 0;

    private async Task FillAsync()
    {
        var now = DateTime.UtcNow;
        var batches = (events + 999) / 1000;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, token) =>
        {
            var body = new StringBuilder("{\"events\":[");
            for (var i = b * 1000; i < Math.Min(events, (b + 1) * 1000); i++)
            {
                var at = now.AddDays(-365).AddSeconds(i * (365.0 * 86400 / events));
                body.Append(i % 1000 == 0 ? "" : ",").Append(Invariant, $$$"""{"event_name":"heavy.tokens","external_customer_id":"big","event_id":"fill-{{{i}}}","timestamp":"{{{at:yyyy-MM-ddTHH:mm:ss.fffZ}}}","properties":{"v":{{{i % 100}}},"seat":"s{{{i % 100_000}}}"}}""");
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events/bulk") { Content = new StringContent(body.Append("]}").ToString(), Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", _key);
            using var response = await _http.SendAsync(request, token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"fill: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
            }
        });
    }

    private async Task<LoadResult> IngestAsync(TimeSpan length, string customer)
    {
        var serial = 0L;
        Shot Next(int worker)
        {
            var n = Interlocked.Increment(ref serial);
            var who = customer == "big" ? "big" : $"small{n % 100}";
            var name = customer == "big" ? "heavy.tokens" : "api.calls";
            var body = Encoding.UTF8.GetBytes($$$"""{"event_name":"{{{name}}}","external_customer_id":"{{{who}}}","properties":{"v":{{{n % 100}}},"seat":"s{{{n % 100_000}}}"}}""");
            return new Shot(RawHttpConnection.Request(options.Url, "POST", "/v1/events", _key, body), 1, null);
        }

        return await Load.RunAsync(options.Url, 4, length, null, Next);
    }

    private async Task<List<(string Query, int Status, double Seconds)>> QueriesAsync(int client, CancellationToken stop)
    {
        var end = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddT00:00:00Z", Invariant);
        var start = DateTime.UtcNow.AddDays(-366).ToString("yyyy-MM-ddT00:00:00Z", Invariant);
        (string Name, string Body)[] queries =
        [
            ("group_by 100,000 values", $$"""{"event_name":"heavy.tokens","aggregation_type":"MAX","property_name":"v","group_by":"seat","external_customer_id":"big","start_time":"{{start}}","end_time":"{{end}}"}"""),
            ("a year of DAY windows tenant-wide", $$"""{"event_name":"heavy.tokens","aggregation_type":"SUM","property_name":"v","window_size":"DAY","start_time":"{{start}}","end_time":"{{end}}"}"""),
            ("the big customer over a year", $$"""{"event_name":"heavy.tokens","aggregation_type":"SUM","property_name":"v","external_customer_id":"big","start_time":"{{start}}","end_time":"{{end}}"}"""),
        ];
        var answers = new List<(string, int, double)>();
        for (var i = client; !stop.IsCancellationRequested; i++)
        {
            var (name, body) = queries[i % queries.Length];
            var clock = Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events/usage") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", _key);
            try
            {
                using var response = await _http.SendAsync(request, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                answers.Add((name, (int)response.StatusCode, clock.Elapsed.TotalSeconds));
            }
            catch (HttpRequestException)
            {
                answers.Add((name, 0, clock.Elapsed.TotalSeconds));
            }
        }

        return answers;
    }
}
