using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flexprice.Tests.Durability;
using Xunit.Abstractions;

namespace Flexprice.Tests.Security;

/// <summary>
/// Several thousand generated hostile requests against the real server process: malformed JSON, every field
/// of every route given every wrong JSON type, NUL and control characters, huge strings and numbers, bad
/// UTF-8, oversized bodies, odd headers and request lines. Every request gets a 4xx or a correct 2xx (never a
/// 5xx), nothing hangs, everything acknowledged is stored exactly and nothing else is, and a sentinel
/// customer's usage does not move.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class HostileInputTests(RealServerFixture server, ITestOutputHelper output)
{
    private const int Requests = 4000;
    private const int Concurrency = 8;

    /// <summary>Each route the generator aims at, with a valid body to start from (null: no body).</summary>
    private static readonly (string Method, string Path, string? Body)[] Routes =
    [
        ("POST", "/v1/events", """{"event_name": "model.usage", "external_customer_id": "cust-1", "event_id": "e", "timestamp": "2025-08-22T07:05:49.441Z", "source": "api", "customer_id": "c", "properties": {"credits": 2, "model": "gpt-4", "nested": {"a": [1, "x"]}}}"""),
        ("POST", "/v1/events/bulk", """{"events": [{"event_name": "model.usage", "external_customer_id": "cust-1", "properties": {"credits": 1}}, {"event_name": "model.usage", "external_customer_id": "cust-2", "event_id": "e", "properties": {"credits": 3}}]}"""),
        ("POST", "/v1/events/usage", """{"event_name": "model.usage", "aggregation_type": "SUM", "property_name": "credits", "external_customer_id": "cust-1", "start_time": "2025-01-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z", "window_size": "DAY", "timezone": "Europe/Berlin", "filters": {"model": ["gpt-4"]}, "group_by": "model", "multiplier": 2, "bucket_size": "HOUR", "billing_anchor": "2025-01-01T00:00:00Z"}"""),
        ("POST", "/v1/events/usage/meter", """{"meter_id": "meter_x", "feature_id": "feat_x", "external_customer_id": "cust-1", "start_time": "2025-01-01T00:00:00Z", "window_size": "HOUR"}"""),
        ("POST", "/v1/customers", """{"external_id": "new-cust", "name": "New", "email": "a@b.c", "metadata": {"k": "v"}, "address_line1": "1 Main St", "address_city": "Berlin", "address_country": "DE"}"""),
        ("POST", "/v1/features", """{"name": "F", "type": "metered", "lookup_key": "f", "description": "d", "unit_singular": "u", "unit_plural": "us", "metadata": {"k": "v"}, "meter": {"event_name": "other.event", "aggregation": {"type": "MAX", "field": "f", "bucket_size": "DAY", "group_by": "g"}, "reset_usage": "NEVER", "filters": [{"key": "k", "values": ["v"]}]}}"""),
        ("POST", "/v1/secrets/api/keys", """{"name": "k", "rate_limits": {"events_per_minute": 10, "bulk_per_minute": 5}}"""),
        ("PATCH", "/v1/secrets/api/keys/key_unknown", """{"rate_limits": {"events_per_minute": 10}}"""),
        ("POST", "/v1/tenants", """{"name": "t"}"""),
        ("GET", "/v1/events?external_customer_id=cust-1&event_name=model.usage&page_size=10&start_time=2025-01-01T00:00:00Z", null),
        ("GET", "/v1/events/lookup?id=e&external_customer_id=cust-1", null),
        ("GET", "/v1/events/rejections", null),
        ("GET", "/v1/customers?limit=5&offset=1", null),
        ("GET", "/v1/customers/cust_unknown", null),
        ("GET", "/v1/customers/cust-1/usage?start_time=2025-01-01T00:00:00Z", null),
        ("GET", "/v1/features", null),
        ("GET", "/v1/secrets/api/keys", null),
        ("DELETE", "/v1/secrets/api/keys/key_unknown", null),
        ("POST", "/v1/events/query", """{"external_customer_id": "cust-1", "customer_id": "cust_unknown", "event_name": "model.usage", "event_id": "e", "source": "api", "start_time": "2025-01-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z", "property_filters": {"model": ["gpt-4", "o1"]}, "page_size": 10, "offset": 1, "sort": "event_name", "order": "asc", "iter_last_key": "WzAsImEiLCJiIiwiYyJd"}"""),
        ("POST", "/v1/events/analytics", """{"external_customer_id": "cust-1", "feature_ids": [], "start_time": "2025-01-01T00:00:00Z", "end_time": "2030-01-01T00:00:00Z", "window_size": "DAY", "timezone": "Europe/Berlin", "group_by": ["feature_id"], "property_filters": {"model": ["gpt-4"]}, "expand": ["feature", "meter"]}"""),
        ("POST", "/v1/customers/search", """{"customer_ids": ["cust_x"], "external_id": "cust-1", "external_ids": ["cust-1", "cust-2"], "email": "a@b.c", "status": "published", "start_time": "2025-01-01T00:00:00Z", "limit": 10, "offset": 0, "order": "asc", "sort": [{"field": "name", "direction": "desc"}], "filters": [], "expand": "x"}"""),
        ("POST", "/v1/features/search", """{"feature_ids": ["feat_x"], "lookup_key": "k", "lookup_keys": ["k"], "meter_ids": ["meter_x"], "name_contains": "F", "status": "published", "limit": 5, "offset": 0, "order": "desc", "sort": [{"field": "created_at", "direction": "asc"}]}"""),
        ("GET", "/v1/customers/usage?customer_lookup_key=cust-1&feature_ids=feat_x,feat_y&start_time=2025-01-01T00:00:00Z", null),
        ("GET", "/v1/customers/external/cust-1", null),
        ("GET", "/v1/events/e?external_customer_id=cust-1", null),
    ];

    /// <summary>Values that replace a field: every JSON type, and the hostile ones.</summary>
    private static readonly string[] Replacements =
    [
        "null", "true", "false", "0", "-0", "1e400", "-1e400", "1e-400", new string('9', 400), "3.14159265358979323846264338327950288",
        "[]", "[1, 2]", "{}", "{\"a\": {}}", "\"\"", "\" \"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u0001\\u001f\\t\\n\\r\"", "\"\\ud800\"",
        "\"\\udc00x\"", "\"😀🏳️‍🌈\"", "\"" + new string('x', 300) + "\"", "\"" + new string('y', 70_000) + "\"", "\"../../etc/passwd\"",
        "\"' OR 1=1 --\"", "\"%00%2F%ff\"", "\"2025-13-45T99:99:99Z\"", "\"-999999-01-01T00:00:00Z\"",
    ];

    [Fact]
    public async Task Thousands_of_hostile_requests_get_only_4xx_or_correct_2xx_and_leave_the_sentinel_alone()
    {
        var settings = server.Settings;
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 3);
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
        using (var sentinel = await http.PostAsJsonAsync("/v1/customers", new { external_id = "sentinel" }))
        {
            Assert.Equal(HttpStatusCode.Created, sentinel.StatusCode);
        }

        using (var seeded = await http.PostAsync("/v1/events", new StringContent("""{"event_name": "model.usage", "external_customer_id": "sentinel", "properties": {"credits": 7}}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, seeded.StatusCode);
        }

        var sentinelBefore = await SentinelUsageAsync(http);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var requests = Generate(new Random(seed), tenant.ApiKey).Take(Requests).ToList();
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var acknowledged = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests.Count; i = Interlocked.Increment(ref next))
            {
                var request = requests[i];
                int status;
                string body;
                try
                {
                    (status, body) = request.Raw is { } raw ? await SendRawAsync(settings.BaseAddress, raw) : await SendAsync(http, request);
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"{request.Describe()}: no answer ({ex.GetType().Name}: {ex.Message})");
                    continue;
                }

                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (request.MustRefuse && status < 400)
                {
                    failures.Enqueue($"{request.Describe()}: {status} for a field of the wrong JSON type: {Cut(body)}");
                }
                else if (status >= 500 || status < 200 || (status >= 300 && status < 400))
                {
                    failures.Enqueue($"{request.Describe()}: {status} {Cut(body)}");
                }
                else if (status == 202)
                {
                    if (request.Raw is not null || request.Body is null)
                    {
                        failures.Enqueue($"{request.Describe()}: 202 for a request the test cannot read back");
                        continue;
                    }

                    // Acknowledged: what was stored, read from the request itself. Named ids count once per
                    // customer (a repeat is a duplicate); server-made ids are new each time.
                    var root = JsonNode.Parse(request.Body)!;
                    foreach (var e in root["events"] is JsonArray bulk ? bulk.Select(x => x!) : [root])
                    {
                        var id = e["event_id"]?.GetValue<string>();
                        acknowledged.TryAdd(string.IsNullOrEmpty(id) ? Guid.NewGuid().ToString() : $"{e["external_customer_id"]!.GetValue<string>()}\u0001{id}", 0);
                    }
                }
            }
        })));

        output.WriteLine($"{requests.Count} requests in {clock.Elapsed.TotalSeconds:0.0} s; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(failures.IsEmpty, $"{failures.Count} requests failed, e.g.:\n{string.Join('\n', failures.Take(15))}");

        // Nothing half-stored: the log holds exactly the sentinel's event and what was acknowledged.
        var stored = await Flexprice.Tests.Infrastructure.TestDatabase.ScalarAsync<long>("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant.Id));
        Assert.Equal(1 + acknowledged.Count, stored);
        Assert.Equal(sentinelBefore, await SentinelUsageAsync(http));
        Assert.False(server.Server.HasExited);
    }

    /// <summary>The hostile requests, an endless mix of kinds.</summary>
    private static IEnumerable<Hostile> Generate(Random random, string apiKey)
    {
        while (true)
        {
            var (method, path, template) = Routes[random.Next(Routes.Length)];
            // A fresh event id wherever the template names one.
            var body = template?.Replace("\"event_id\": \"e\"", $"\"event_id\": \"e-{random.Next():x8}{random.Next():x8}\"", StringComparison.Ordinal);
            switch (random.Next(12))
            {
                case 0 or 1 or 2 or 3 when body is not null:
                    var (replaced, mustRefuse) = ReplaceAField(body, random);
                    yield return new Hostile(method, path, replaced, MustRefuse: mustRefuse);
                    break;
                case 4 when body is not null:
                    // Malformed JSON: cut short, or with a stray byte.
                    var cut = random.Next(body.Length);
                    yield return new Hostile(method, path, random.Next(2) == 0 ? body[..cut] : body.Insert(cut, new[] { "\u0000", "'", "}", "\\", "\"", "\u0001" }[random.Next(6)]));
                    break;
                case 5 when body is not null:
                    // Bad UTF-8 or a byte-order mark, as raw bytes.
                    var bytes = Encoding.UTF8.GetBytes(body).ToList();
                    var at = random.Next(bytes.Count);
                    bytes.InsertRange(at, random.Next(3) switch { 0 => [0xC3, 0x28], 1 => [0xF8, 0x88, 0x80, 0x80, 0x80], _ => [0xED, 0xA0, 0x80] });
                    yield return new Hostile(method, path, null, BodyBytes: [.. bytes]);
                    break;
                case 6:
                    yield return new Hostile(method, path, body, Headers: OddHeaders(random, apiKey));
                    break;
                case 7:
                    yield return new Hostile(method, MangledPath(path, random), body);
                    break;
                case 8 when random.Next(10) == 0:
                    // Oversized: 2 MB for a single object, 17 MB for the bulk route.
                    var size = path == "/v1/events/bulk" ? 17 * 1024 * 1024 : 2 * 1024 * 1024;
                    yield return new Hostile("POST", path.Split('?')[0], $"{{\"pad\": \"{new string('p', size)}\"}}");
                    break;
                case 9:
                    yield return new Hostile(method, path, body, Raw: RawRequest(random, apiKey));
                    break;
                case 10:
                    // Deep nesting, and many keys.
                    yield return new Hostile(method, path, random.Next(2) == 0
                        ? string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000)
                        : JsonSerializer.Serialize(Enumerable.Range(0, 20_000).ToDictionary(i => $"k{i}", i => i)));
                    break;
                default:
                    yield return new Hostile(method, path, body);
                    break;
            }
        }
    }

    /// <summary>
    /// The body with one field, anywhere in it, replaced by a hostile value (written into the text as it is), and
    /// whether the answer must be a 4xx: a field the API defines as a string given another JSON type (not null).
    /// </summary>
    private static (string Body, bool MustRefuse) ReplaceAField(string body, Random random)
    {
        var root = JsonNode.Parse(body)!;
        var fields = new List<(JsonNode Parent, object Key, bool Typed)>();
        Collect(root, fields, typed: true);
        var (parent, key, typed) = fields[random.Next(fields.Count)];
        const string Placeholder = "__HOSTILE_VALUE__";
        var replacement = Replacements[random.Next(Replacements.Length)];
        bool wasString;
        if (parent is JsonObject obj)
        {
            wasString = obj[(string)key]?.GetValueKind() == JsonValueKind.String;
            obj[(string)key] = Placeholder;
        }
        else
        {
            wasString = false;
            parent.AsArray()[(int)key] = Placeholder;
        }

        var mustRefuse = typed && wasString && replacement != "null" && !replacement.StartsWith('"');
        return (root.ToJsonString().Replace($"\"{Placeholder}\"", replacement, StringComparison.Ordinal), mustRefuse);

        // Typed: not inside free-form JSON (properties, metadata), filter values (any scalar) or group_by (a name or a list of one).
        static void Collect(JsonNode node, List<(JsonNode, object, bool)> into, bool typed)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, child) in o.ToList())
                    {
                        var childTyped = typed && name is not ("properties" or "metadata" or "filters" or "group_by");
                        into.Add((o, name, childTyped));
                        if (child is not null)
                        {
                            Collect(child, into, childTyped);
                        }
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        into.Add((a, i, false));
                        if (a[i] is { } child)
                        {
                            Collect(child, into, typed);
                        }
                    }

                    break;
            }
        }
    }

    private static List<(string, string)> OddHeaders(Random random, string apiKey) => random.Next(8) switch
    {
        0 => [("Content-Type", "application/json; charset=utf-16")],
        1 => [("Content-Type", "text/plain"), ("Accept", "application/xml;q=abc")],
        2 => [("x-api-key", apiKey), ("x-api-key", apiKey)],
        3 => [("x-api-key", " " + apiKey + " ")],
        4 => [("x-api-key", new string('k', 8000))],
        5 => [("Content-Encoding", "gzip")],
        6 => [("Expect", "100-continue"), ("X-Forwarded-For", "::::, 999.1.1.1")],
        _ => [("x-api-key", "sk_" + Guid.NewGuid().ToString("N"))],
    };

    private static string MangledPath(string path, Random random) => random.Next(6) switch
    {
        0 => path.Replace("/v1/", "/v1//", StringComparison.Ordinal),
        1 => path + (path.Contains('?') ? "&" : "?") + "page_size=%ff&limit=1e9&offset=-5&id=%00",
        2 => path.Replace("cust-1", "%2e%2e%2f%2e%2e", StringComparison.Ordinal).Replace("key_unknown", "%ff%fe", StringComparison.Ordinal),
        3 => path.Replace("cust-1", new string('c', 5000), StringComparison.Ordinal),
        4 => path + (path.Contains('?') ? "&" : "?") + "external_customer_id=%00&start_time=yesterday&page_size=0",
        _ => path.ToUpperInvariant(),
    };

    /// <summary>Request lines and header sets no HTTP client library would send.</summary>
    private static byte[] RawRequest(Random random, string apiKey)
    {
        var key = $"x-api-key: {apiKey}\r\n";
        const string Body = """{"event_name": "model.usage", "external_customer_id": "cust-1", "properties": {"credits": 1}}""";
        var text = random.Next(9) switch
        {
            0 => $"POST /v1/events HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            1 => $"POST /v1/events HTTP/1.1\r\nHost: x\r\n{key}Content-Length: 10\r\nContent-Length: 20\r\n\r\n{Body}",
            2 => $"POST /v1/events HTTP/1.1\r\n{key}Content-Length: {Body.Length}\r\n\r\n{Body}",
            3 => $"POST http://elsewhere/v1/events HTTP/1.1\r\nHost: x\r\n{key}Content-Length: {Body.Length}\r\n\r\n{Body}",
            4 => $"GET /v1/customers/a%00b/usage HTTP/1.1\r\nHost: x\r\n{key}\r\n",
            5 => $"GET /v1/customers/%ff%fe/usage HTTP/1.1\r\nHost: x\r\n{key}\r\n",
            6 => $"POST /v1/events HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
            7 => $"GET /v1/events HTTP/1.1\r\nHost: x\r\n{key}Bad Header Name: x\r\n\r\n",
            _ => $"BREW /v1/events HTTP/1.1\r\nHost: x\r\n{key}\r\n",
        };
        return Encoding.Latin1.GetBytes(text);
    }

    private static async Task<(int Status, string Body)> SendAsync(HttpClient http, Hostile hostile)
    {
        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), hostile.Path);
        if (hostile.BodyBytes is { } bytes)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        else if (hostile.Body is { } body)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in hostile.Headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new StringContent("");
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends bytes as they are and reads the status line; a closed connection without an answer is a 400 of the server's own.</summary>
    private static async Task<(int Status, string Body)> SendRawAsync(Uri server, byte[] request)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(request, timeout.Token);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        var text = Encoding.Latin1.GetString(buffer, 0, read);
        var statusLine = text.Split("\r\n")[0].Split(' ');
        return statusLine.Length >= 2 && int.TryParse(statusLine[1], out var status)
            ? (status, text)
            : throw new InvalidOperationException($"no status line: '{Cut(text)}'");
    }

    /// <summary>The sentinel's usage of the tenant's own two features (the test creates others, all empty for it).</summary>
    private static async Task<string> SentinelUsageAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/v1/customers/sentinel/usage");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return string.Join("; ", body.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("feature_name").GetString() is EventLedger.SumFeature or EventLedger.CountFeature)
            .Select(f => $"{f.GetProperty("feature_name")}={f.GetProperty("value")}/{f.GetProperty("event_count")}"));
    }

    private static string Cut(string text) => (text.Length <= 300 ? text : text[..300] + "…").Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed record Hostile(
        string Method, string Path, string? Body, List<(string Name, string Value)>? Headers = null, byte[]? BodyBytes = null, byte[]? Raw = null, bool MustRefuse = false)
    {
        public string Describe() =>
            $"{Method} {Cut(Path)} headers [{string.Join("; ", (Headers ?? []).Select(h => $"{h.Name}: {Cut(h.Value)}"))}] body {(Raw is not null ? "raw " + Cut(Encoding.Latin1.GetString(Raw)) : Cut(Body ?? (BodyBytes is null ? "" : Encoding.Latin1.GetString(BodyBytes))))}";
    }
}
