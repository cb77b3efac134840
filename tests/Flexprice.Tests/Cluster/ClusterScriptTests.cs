using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// The clustered deployment as a user runs it: <c>scripts/cluster up --silos 2 --apis 2</c> (silo
/// processes, API processes as Orleans clients, ADO.NET clustering in PostgreSQL). Load through both
/// API nodes with client retries; one silo is SIGKILLed mid-stream and started again. Every event
/// answered 202 is stored and counted exactly once; nothing is answered 500; every 503 carries
/// Retry-After and its retry (same event ids) is safe.
/// </summary>
public sealed class ClusterScriptTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(150);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _stateDir = Directory.CreateTempSubdirectory("flexprice-cluster-").FullName;
    private readonly Dictionary<string, string> _environment = [];
    private bool _up;

    public void Dispose()
    {
        if (_up)
        {
            try
            {
                Log(Script("down").Trim());
            }
            catch (Exception ex)
            {
                Log($"scripts/cluster down failed: {ex.Message}");
            }
        }

        // Whatever happened, no process of this test outlives it.
        foreach (var pidFile in Directory.EnumerateFiles(_stateDir, "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    if (process.ProcessName.StartsWith("dotnet", StringComparison.Ordinal))
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (ArgumentException)
                {
                    // Gone already.
                }
            }
        }

        foreach (var log in Directory.EnumerateFiles(_stateDir, "*.log").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(log).Where(l => l.StartsWith("=====", StringComparison.Ordinal) || l.Contains("Silo started", StringComparison.Ordinal)
                || l.Contains("fail:", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal));
            output.WriteLine($"--- {Path.GetFileName(log)}: starts, failures ---\n{string.Join('\n', lines.TakeLast(12).Select(l => l.Length > 300 ? l[..300] : l))}");
        }

        Directory.Delete(_stateDir, recursive: true);
    }

    [Fact]
    public async Task Silo_killed_under_load_and_restarted_loses_no_acknowledged_event_and_counts_none_twice()
    {
        var apiPort = FreeRange(2);
        var clusterId = "cluster-script-" + Guid.NewGuid().ToString("N");
        var bootstrapKey = $"sk_test_cluster_{Guid.NewGuid():N}";
        _environment["ConnectionStrings__Postgres"] = await TestDatabase.ReadyAsync();
        _environment["FLEXPRICE_CLUSTER_DIR"] = _stateDir;
        _environment["FLEXPRICE_CLUSTER_CONFIGURATION"] = ApiBinary.Configuration;
        _environment["FLEXPRICE_CLUSTER_API_PORT"] = Port(apiPort);
        _environment["FLEXPRICE_CLUSTER_SILO_PORT"] = Port(FreeRange(2));
        _environment["FLEXPRICE_CLUSTER_GATEWAY_PORT"] = Port(FreeRange(2));
        var siloHttpPort = FreeRange(2);
        _environment["FLEXPRICE_CLUSTER_SILO_HTTP_PORT"] = Port(siloHttpPort);
        _environment["Orleans__ClusterId"] = clusterId;
        _environment["Orleans__ServiceId"] = clusterId;
        _environment["FLEXPRICE_BOOTSTRAP_API_KEY"] = bootstrapKey;
        _environment["RateLimits__EventsPerMinute"] = "10000000";
        _environment["RateLimits__ReadsPerMinute"] = "10000000";
        _environment["RateLimits__BulkPerMinute"] = "1000000";
        _environment["CustomerGrain__CheckpointEveryEvents"] = "50";
        _environment["CustomerGrain__CheckpointInterval"] = "00:00:01";

        _up = true;
        Script("up", "--silos", "2", "--apis", "2", "--no-build");
        Log("cluster up: 2 silos, 2 API nodes");
        var apis = new[] { new Uri($"http://127.0.0.1:{apiPort}"), new Uri($"http://127.0.0.1:{apiPort + 1}") };
        var settings = new ServerSettings(TestDatabase.ConnectionString, bootstrapKey, apiPort, 0, 0, clusterId);
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 12);
        var ledger = new EventLedger();
        var load = new Load(apis, tenant, ledger, _clock);

        var senders = Enumerable.Range(0, 6).Select(s => Task.Run(() => load.SendAsync(s))).ToList();
        await load.WaitForAcknowledgedAsync(300, TimeSpan.FromSeconds(60));
        var killedAt = _clock.Elapsed;
        Log(Script("kill", "silo", "0").Trim() + $" with {ledger.AcknowledgedCount} events acknowledged");
        await load.WaitForAcknowledgedAsync(ledger.AcknowledgedCount + 300, TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Log(Script("start", "silo", "0").Trim());
        await load.WaitForAcknowledgedAsync(ledger.AcknowledgedCount + 300, TimeSpan.FromSeconds(60));
        load.Stop();
        await Task.WhenAll(senders);

        var failures = load.Failures.OrderBy(f => f.Start).ToList();
        Log($"{ledger.AcknowledgedCount} events acknowledged in {load.Requests} requests; {failures.Count} answered 503 (or cut)");
        if (failures.Count > 0)
        {
            Log($"failures from {(failures[0].Start - killedAt).TotalSeconds:0.0} s to {(failures.Max(f => f.End) - killedAt).TotalSeconds:0.0} s after the kill; " +
                $"slowest request {load.Slowest.TotalSeconds:0.0} s");
        }

        Assert.True(load.Unexpected.IsEmpty, $"answers other than 202/503:\n{string.Join('\n', load.Unexpected.Take(10))}");
        Assert.All(failures, f => Assert.True(f.Status != 503 || f.HasRetryAfter, "a 503 without Retry-After"));

        // Every event was retried until acknowledged: the log holds each once, usage counts each once.
        var stored = await EventLedger.StoredAsync(tenant.Id);
        Assert.Equal(ledger.SentCount, ledger.AcknowledgedCount);
        Assert.Equal(ledger.AcknowledgedCount, stored.Count);
        foreach (var api in apis)
        {
            using var http = EventLedger.Client(api, tenant.ApiKey);
            foreach (var customer in tenant.Customers)
            {
                var mine = ledger.Sent.Where(e => e.Customer == customer).ToList();
                var expected = new ReportedUsage(mine.Sum(e => e.Credits), mine.Count, mine.Count);
                Assert.Equal(expected, await EventLedger.UsageAsync(http, customer));
            }
        }

        // Every process serves /metrics. The API nodes' accepted counters cannot exceed what is stored, and with
        // the retried events (answered 202 as duplicates) they cover it: an event stored by a request answered
        // 503 is accepted by none and a duplicate of its retry.
        double accepted = 0, duplicate = 0;
        foreach (var api in apis)
        {
            using var http = new HttpClient { BaseAddress = api };
            var scrape = await PrometheusScrape.ReadAsync(http);
            accepted += scrape.Sum("flexprice_ingestion_events_accepted_total");
            duplicate += scrape.Sum("flexprice_ingestion_events_duplicate_total");
        }

        Log($"metrics: {accepted} accepted, {duplicate} duplicate, {stored.Count} stored");
        Assert.InRange(stored.Count, accepted, accepted + duplicate);
        double flushed = 0;
        foreach (var port in new[] { siloHttpPort, siloHttpPort + 1 })
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var scrape = await PrometheusScrape.ReadAsync(http);
            Assert.True(scrape.Has("orleans_catalog_activations"), $"silo metrics on port {port} lack Orleans' meter");
            flushed += scrape.Sum("flexprice_eventlog_flush_events_sum");
        }

        // Silo 0 was restarted, its counters with it; the silos together still show the writes.
        Assert.True(flushed > 0, "no silo shows an event-log flush");

        var statuses = await MembershipAsync(clusterId);
        Log($"membership: {string.Join(", ", statuses)}");
        Assert.Equal(2, statuses.Count(s => s.EndsWith("=3", StringComparison.Ordinal)));
        Assert.Contains(statuses, s => s.EndsWith("=6", StringComparison.Ordinal));
    }

    /// <summary>Runs scripts/cluster with this test's environment; fails with its output on a non-zero exit.</summary>
    private string Script(params string[] arguments)
    {
        var root = ApiBinary.RepoRoot() ?? throw new InvalidOperationException("The repository (Flexprice.Orleans.sln) was not found above the test binaries.");
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, "scripts", "cluster"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ScriptTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/cluster {string.Join(' ', arguments)} did not finish within {ScriptTimeout.TotalSeconds:0} s:\n{stderr.Result}");
        }

        var text = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"scripts/cluster {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
        return stderr.Result.Split('\n').LastOrDefault(l => l.Length > 0) ?? "";
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {message}");

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first of <paramref name="count"/> consecutive ports that are free now.</summary>
    private static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = ApiFactory.FreePort();
            if (first + count <= IPEndPoint.MaxPort && Enumerable.Range(first + 1, count - 1).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found");

        static bool IsFree(int port)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    private static async Task<List<string>> MembershipAsync(string clusterId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT port, generation, status FROM orleansmembership WHERE deploymentid = @d ORDER BY generation, port", connection);
        command.Parameters.AddWithValue("d", clusterId);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetInt32(0)}@{reader.GetInt32(1)}={reader.GetInt32(2)}");
        }

        return rows;
    }

    private sealed record Failure(TimeSpan Start, TimeSpan End, int Status, bool HasRetryAfter);

    /// <summary>Senders posting single events and bulks, alternately through both API nodes, each request retried with the same body until 202.</summary>
    private sealed class Load(Uri[] apis, TestTenant tenant, EventLedger ledger, Stopwatch clock)
    {
        private readonly CancellationTokenSource _stop = new();
        private long _slowestTicks;
        private int _requests;

        public ConcurrentBag<Failure> Failures { get; } = [];

        public ConcurrentQueue<string> Unexpected { get; } = new();

        public int Requests => _requests;

        public TimeSpan Slowest => TimeSpan.FromTicks(Interlocked.Read(ref _slowestTicks));

        public void Stop() => _stop.Cancel();

        public async Task WaitForAcknowledgedAsync(int count, TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (ledger.AcknowledgedCount < count)
            {
                Assert.True(Unexpected.IsEmpty, $"unexpected answer: {Unexpected.FirstOrDefault()}");
                Assert.True(watch.Elapsed < timeout, $"only {ledger.AcknowledgedCount} of {count} events acknowledged after {timeout.TotalSeconds:0} s");
                await Task.Delay(50);
            }
        }

        public async Task SendAsync(int sender)
        {
            var clients = apis.Select(api => EventLedger.Client(api, tenant.ApiKey)).ToArray();
            foreach (var client in clients)
            {
                client.Timeout = TimeSpan.FromSeconds(90);
            }

            var random = new Random(sender);
            try
            {
                for (var n = 0; !_stop.IsCancellationRequested && Unexpected.IsEmpty; n++)
                {
                    var bulk = n % 3 == 0;
                    var events = Enumerable.Range(0, bulk ? random.Next(2, 20) : 1)
                        .Select(k => EventLedger.NewEvent($"evt-{sender}-{n}-{k}", tenant.Customers[random.Next(tenant.Customers.Count)], random))
                        .ToList();
                    foreach (var e in events)
                    {
                        ledger.RecordSent(e);
                    }

                    await SendUntilAcceptedAsync(clients, n, events, bulk);
                }
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        }

        private async Task SendUntilAcceptedAsync(HttpClient[] clients, int n, List<SentEvent> events, bool bulk)
        {
            for (var attempt = 0; attempt < 200 && Unexpected.IsEmpty; attempt++)
            {
                var client = clients[(n + attempt) % clients.Length];
                var started = clock.Elapsed;
                int status;
                var retryAfter = false;
                try
                {
                    using var content = bulk ? EventLedger.BulkBody(events) : EventLedger.SingleBody(events[0]);
                    using var response = await client.PostAsync(bulk ? "/v1/events/bulk" : "/v1/events", content);
                    Interlocked.Increment(ref _requests);
                    status = (int)response.StatusCode;
                    retryAfter = response.Headers.RetryAfter is not null;
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        ledger.RecordAcknowledged(events);
                        NoteDuration(clock.Elapsed - started);
                        return;
                    }

                    if (status is not (503 or 429))
                    {
                        Unexpected.Enqueue($"{status} {await response.Content.ReadAsStringAsync()}");
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    // The API nodes stay up; a cut connection is retried like a 503.
                    status = 0;
                }

                NoteDuration(clock.Elapsed - started);
                Failures.Add(new Failure(started, clock.Elapsed, status, retryAfter));
                await Task.Delay(200);
            }
        }

        private void NoteDuration(TimeSpan elapsed)
        {
            long seen;
            while (elapsed.Ticks > (seen = Interlocked.Read(ref _slowestTicks)) && Interlocked.CompareExchange(ref _slowestTicks, elapsed.Ticks, seen) != seen)
            {
            }
        }
    }
}
