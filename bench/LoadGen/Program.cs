using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// A load generator for a running Flexprice: makes a fresh tenant (with the admin key), a SUM
// feature and N customers, then sends events for a fixed time from many connections and prints
// what was acknowledged. Finally it checks that usage equals the acknowledged credits, exactly.
//
//   dotnet run -c Release --project bench/LoadGen -- --url http://127.0.0.1:8080 \
//       --admin-key sk_local_flexprice_test_key --mode bulk --seconds 20 --concurrency 8
var options = Options.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2 })
{
    BaseAddress = new Uri(options.Url),
    Timeout = TimeSpan.FromMinutes(2),
};

var tenant = await Setup.TenantAsync(http, options);
Console.WriteLine($"tenant {tenant.Id}: {options.Customers} customers; mode {options.Mode}, {options.Concurrency} connections, {options.Seconds} s");

var acknowledged = new long[options.Customers];
var latencies = new List<double>();
long requests = 0, events = 0, refused = 0;
var stop = DateTime.UtcNow + TimeSpan.FromSeconds(options.Seconds);
var clock = Stopwatch.StartNew();
var workers = Enumerable.Range(0, options.Concurrency).Select(async worker =>
{
    var random = new Random(worker);
    var mine = new List<double>();
    while (DateTime.UtcNow < stop)
    {
        var batch = options.Mode == "bulk" ? options.BulkSize : 1;
        var sent = new (int Customer, int Credits)[batch];
        var body = new StringBuilder(batch * 120);
        body.Append(options.Mode == "bulk" ? "{\"events\":[" : "");
        for (var i = 0; i < batch; i++)
        {
            sent[i] = (random.Next(options.Customers), random.Next(1, 100));
            if (i > 0)
            {
                body.Append(',');
            }

            body.Append("{\"event_name\":\"bench.usage\",\"external_customer_id\":\"c").Append(sent[i].Customer)
                .Append("\",\"properties\":{\"credits\":").Append(sent[i].Credits).Append("}}");
        }

        body.Append(options.Mode == "bulk" ? "]}" : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Mode == "bulk" ? "/v1/events/bulk" : "/v1/events")
        {
            Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", tenant.Key);
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Interlocked.Increment(ref requests);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            Interlocked.Add(ref events, batch);
            foreach (var (customer, credits) in sent)
            {
                Interlocked.Add(ref acknowledged[customer], credits);
            }
        }
        else
        {
            Interlocked.Increment(ref refused);
            if (refused < 5)
            {
                Console.WriteLine($"refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    lock (latencies)
    {
        latencies.AddRange(mine);
    }
}).ToArray();
await Task.WhenAll(workers);
var elapsed = clock.Elapsed.TotalSeconds;

latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
Console.WriteLine($"events/s {events / elapsed:F0}  requests/s {requests / elapsed:F1}  refused {refused}  " +
    $"latency ms p50 {Percentile(0.50):F1} p95 {Percentile(0.95):F1} p99 {Percentile(0.99):F1}");

// Every acknowledged event counted exactly once.
var wrong = 0;
for (var c = 0; c < options.Customers; c++)
{
    var usage = await http.SendAsync(Setup.Get($"/v1/customers/c{c}/usage", tenant.Key));
    var body = await usage.Content.ReadFromJsonAsync<JsonElement>();
    var value = body.GetProperty("features")[0].GetProperty("value").GetDecimal();
    if (value != acknowledged[c])
    {
        wrong++;
    }
}

Console.WriteLine(wrong == 0 ? "totals: every customer's usage equals its acknowledged events" : $"totals: {wrong} customers differ from their acknowledged events");
return wrong == 0 ? 0 : 1;

internal sealed record Options(string Url, string AdminKey, string Mode, int Seconds, int Concurrency, int Customers, int BulkSize)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new Options(
            Value("--url", "http://127.0.0.1:8080"),
            Value("--admin-key", "sk_local_flexprice_test_key"),
            Value("--mode", "bulk"),
            int.Parse(Value("--seconds", "20"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency", "8"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--customers", "1000"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--bulk-size", "1000"), System.Globalization.CultureInfo.InvariantCulture));
    }
}

internal sealed record Tenant(string Id, string Key);

internal static class Setup
{
    public static async Task<Tenant> TenantAsync(HttpClient http, Options options)
    {
        var created = await Send(http, HttpMethod.Post, "/v1/tenants", options.AdminKey, new { name = $"bench-{Guid.NewGuid():N}" });
        var tenant = new Tenant(created.GetProperty("id").GetString()!, created.GetProperty("api_key").GetString()!);
        await Send(http, HttpMethod.Post, "/v1/features", tenant.Key, new
        {
            name = "bench credits",
            type = "metered",
            meter = new { event_name = "bench.usage", aggregation = new { type = "SUM", field = "credits" } },
        });
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Customers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, _) =>
            await Send(http, HttpMethod.Post, "/v1/customers", tenant.Key, new { external_id = $"c{c}", name = $"c{c}" }));
        return tenant;
    }

    public static HttpRequestMessage Get(string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", key);
        return request;
    }

    private static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string path, string key, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("x-api-key", key);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
