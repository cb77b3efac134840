using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Flexprice.Bench;

/// <summary>One scenario's figures in one run.</summary>
public sealed record Measurement(
    int Run, string Scenario, double EventsPerSecond, double RequestsPerSecond, double P50, double P95, double P99,
    double ServerCores, double PostgresCores, double GeneratorCores, double PeakRssMb, double WalBytesPerEvent,
    long Refused, long Failed, int? WrongTotals, double AllocatedBytesPerRequest = double.NaN)
{
    /// <summary>Server plus PostgreSQL CPU per event, in microseconds.</summary>
    public double CpuMicrosPerEvent => EventsPerSecond > 0 ? (Nz(ServerCores) + Nz(PostgresCores)) * 1e6 / EventsPerSecond : double.NaN;

    private static double Nz(double v) => double.IsNaN(v) ? 0 : v;
}

public sealed class Suite(BenchOptions options)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly List<Measurement> _measurements = [];
    private readonly Dictionary<(int Run, string Name), double> _baselines = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(2) };
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
    private Workload _workload = null!;

    public async Task<int> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"bench: {options.Url}, {options.Customers} customers, {options.Features} features, {options.Runs} runs of {options.Seconds.TotalSeconds:F0} s per scenario after {options.WarmUp.TotalSeconds:F0} s warm-up");
        Console.WriteLine($"machine: {Machine.Describe()}");
        var setup = Stopwatch.StartNew();
        _workload = await Workload.CreateAsync(_http, options.AdminKey, options.Customers, options.Features);
        Console.WriteLine($"tenant {_workload.TenantId}: created in {setup.Elapsed.TotalSeconds:F1} s");
        // Activate every customer's grain once (a usage query each), so that the runs measure the
        // steady state rather than 10 000 first activations.
        setup.Restart();
        await _workload.VerifyAsync(_http);
        Console.WriteLine($"customers activated in {setup.Elapsed.TotalSeconds:F1} s");
        var raw = options.Postgres is { } pg ? new RawIngest(pg, options.Customers) : null;

        for (var run = 1; run <= options.Runs; run++)
        {
            Console.WriteLine($"--- run {run}/{options.Runs} (load average {Machine.LoadAverage()})");
            if (raw is not null && Wants("raw"))
            {
                await RawAsync(run, raw);
            }

            if (options.BareUrl is not null && Wants("bare"))
            {
                await PhaseAsync(run, "bare-http single", options.BareUrl, options.SingleConnections, null, SingleShots(options.BareUrl, account: false), verify: false);
            }

            if (Wants("bulk"))
            {
                await PhaseAsync(run, "bulk", options.Url, options.BulkConnections, null, BulkShots(), verify: true);
            }

            if (Wants("import"))
            {
                await ImportAsync(run);
            }

            if (Wants("single"))
            {
                await PhaseAsync(run, "single", options.Url, options.SingleConnections, null, SingleShots(options.Url, account: true), verify: true);
            }

            if (Wants("single-hot"))
            {
                // Every connection sends for the same customer: what one customer's grain sustains.
                var hot = Random.Shared.Next(options.Customers);
                await PhaseAsync(run, "single-hot", options.Url, options.SingleConnections, null, SingleShots(options.Url, account: true, customer: hot), verify: true);
            }

            if (Wants("single-half") && Find(run, "single") is { } single)
            {
                await PhaseAsync(run, "single at half rate", options.Url, options.SingleConnections, single.EventsPerSecond / 2, SingleShots(options.Url, account: true), verify: true);
            }

            if (Wants("query"))
            {
                await QueryAsync(run);
            }

            if (Wants("retry"))
            {
                await RetryAsync(run);
            }
        }

        var report = Report();
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.Results is { } path)
        {
            Results.Write(path, report);
            Console.WriteLine($"results written to {path}");
        }

        var lost = _measurements.Any(m => m.WrongTotals is > 0);
        Console.WriteLine(lost ? "totals: MISMATCH (see the table)" : "totals: every customer's usage equals its acknowledged events, in every scenario");
        Console.WriteLine($"bench took {clock.Elapsed.TotalMinutes:F1} min");
        Console.WriteLine($"ratio bulk_vs_raw_ingest: {Ratio("bulk", "raw durable ingest"):F2}");
        Console.WriteLine($"ratio single_vs_bare_http: {Ratio("single", "bare-http single"):F2}");
        if (Wants("single-hot"))
        {
            Console.WriteLine($"ratio single_hot_vs_single: {Ratio("single-hot", "single"):F2}");
        }

        if (Wants("import"))
        {
            Console.WriteLine($"ratio import_vs_bulk: {Ratio("import", "bulk"):F2}");
        }

        if (Wants("query"))
        {
            Console.WriteLine($"ratio query_p99_vs_floor: {QueryTailOverFloor():F2}");
        }

        return lost ? 1 : 0;
    }

    /// <summary>The importer on a file of new events; its events/s next to this run's bulk scenario.</summary>
    private async Task ImportAsync(int run)
    {
        if (options.Importer is not { } importer)
        {
            Console.WriteLine("import: skipped (no importer built; build src/Importer or pass --importer)");
            return;
        }

        var phase = new ImportPhase(options, _workload, importer, _tag);
        await phase.PrepareAsync(run);
        Settle("import");
        var wal = await WalBytesAsync();
        var sampler = new Sampler(options.ServerPid, options.PostgresPid);
        var (result, importerCores, summary) = await phase.RunAsync();
        var cpu = sampler.Finish();
        await sampler.DisposeAsync();
        Console.WriteLine($"  {summary}");
        var walPerEvent = (await WalBytesAsync() - wal) / Math.Max(1, result.Events);
        await RecordAsync(run, "import", result, (cpu.Server, cpu.Postgres, importerCores, cpu.PeakRss), walPerEvent, verify: true);
    }

    private bool Wants(string scenario) => options.Only.Contains(scenario);

    private Measurement? Find(int run, string scenario) => _measurements.FirstOrDefault(m => m.Run == run && m.Scenario == scenario);

    private async Task RawAsync(int run, RawIngest raw)
    {
        var warm = TimeSpan.FromSeconds(2);
        // The raw table keeps its rows from run to run, as the events table does: a later run writes
        // into indexes as large as the project's, not into an empty table that fits in memory.
        if (run == 1)
        {
            await raw.ResetAsync();
        }

        var a = await MeasureRawAsync("raw (a)", () => raw.InsertOnConflictAsync(warm, options.RawSeconds));
        var b = await MeasureRawAsync("raw (b)", () => raw.CopyThenInsertAsync(warm, options.RawSeconds));
        var c = await MeasureRawAsync("raw (c)", () => raw.PlainCopyAsync(warm, options.RawSeconds));
        if (run == options.Runs)
        {
            await raw.DropAsync();
        }
        _baselines[(run, "raw (a) INSERT … ON CONFLICT, 1000 rows/statement, 2 connections")] = a;
        _baselines[(run, "raw (b) binary COPY to staging + INSERT … ON CONFLICT")] = b;
        _baselines[(run, "raw durable ingest")] = Math.Max(a, b);
        _baselines[(run, "raw (c) plain binary COPY, no dedupe")] = c;
        Console.WriteLine($"raw durable ingest: (a) {a:F0} rows/s  (b) {b:F0} rows/s  → {Math.Max(a, b):F0};  plain COPY {c:F0} rows/s");
    }

    /// <summary>A raw phase, with PostgreSQL's CPU and WAL per row (over warm-up and measurement alike).</summary>
    private async Task<double> MeasureRawAsync(string name, Func<Task<double>> phase)
    {
        Settle(name);
        var wal = await WalBytesAsync();
        var sampler = new Sampler(null, options.PostgresPid);
        var started = Stopwatch.GetTimestamp();
        var rowsPerSecond = await phase();
        var cpu = sampler.Finish();
        await sampler.DisposeAsync();
        var rows = rowsPerSecond * Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"{name,-28} {rowsPerSecond,9:F0} rows/s  cpu pg {cpu.Postgres:F2} gen {cpu.Generator:F2}  wal {(await WalBytesAsync() - wal) / rows:F0} B/row (approx.)");
        return rowsPerSecond;
    }

    private async Task<Measurement> PhaseAsync(int run, string name, Uri server, int connections, double? ratePerSecond, Func<int, Shot> next, bool verify)
    {
        Settle(name);
        await Load.RunAsync(server, connections, options.WarmUp, ratePerSecond, next);
        var wal = await WalBytesAsync();
        var allocated = server == options.Url ? await AllocatedBytesAsync() : double.NaN;
        var sampler = new Sampler(server == options.Url ? options.ServerPid : options.BarePid, options.PostgresPid);
        var result = await Load.RunAsync(server, connections, options.Seconds, ratePerSecond, next);
        var cpu = sampler.Finish();
        await sampler.DisposeAsync();
        var walPerEvent = (await WalBytesAsync() - wal) / Math.Max(1, result.Events);
        var allocatedPerRequest = (await AllocatedBytesAsync() - allocated) / Math.Max(1, result.RequestCount);
        return await RecordAsync(run, name, result, cpu, walPerEvent, verify, allocatedPerRequest);
    }

    /// <summary>Before a scenario's warm-up: the dirty page cache to disk, unless --no-settle (see PageCache).</summary>
    private void Settle(string scenario)
    {
        if (!options.SettlePageCache)
        {
            return;
        }

        var (dirtyKb, took) = PageCache.Settle();
        if (options.TimelineMs is not null)
        {
            Console.WriteLine($"  before {scenario}: {dirtyKb / 1024.0:F0} MB dirty written back in {took.TotalMilliseconds:F0} ms");
        }
    }

    /// <summary>What the server has allocated so far (the runtime's dotnet.gc.heap.total_allocated, read from its /metrics); NaN when not exported.</summary>
    private async Task<double> AllocatedBytesAsync()
    {
        try
        {
            var text = await _http.GetStringAsync(new Uri(options.Url, "/metrics"));
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal))
                {
                    return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (HttpRequestException)
        {
        }

        return double.NaN;
    }

    private async Task<Measurement> RecordAsync(
        int run, string name, LoadResult result, (double Server, double Postgres, double Generator, long PeakRss) cpu, double walPerEvent, bool verify, double allocatedPerRequest = double.NaN)
    {
        if (options.TimelineMs is { } threshold)
        {
            Console.WriteLine($"  timeline {name}: generator GC {result.GeneratorGc.PauseMs:F0} ms paused, {result.GeneratorGc.Gen2} gen-2");
            foreach (var (from, slow, worst) in result.SlowSlices(threshold))
            {
                Console.WriteLine($"  timeline {name}: +{from:F1} s ({result.StartedUtc.AddSeconds(from).ToString("HH:mm:ss.f", Invariant)} UTC)  slower than {threshold:F0} ms: {slow}, worst {worst:F0} ms");
            }
        }

        int? wrong = verify ? await _workload.VerifyAsync(_http) + await WrongRowCountAsync() : null;
        var m = new Measurement(run, name, result.EventsPerSecond, result.RequestsPerSecond, result.Percentile(0.50), result.Percentile(0.95), result.Percentile(0.99),
            cpu.Server, cpu.Postgres, cpu.Generator, cpu.PeakRss / 1048576.0, walPerEvent, result.Refused, result.Failed, wrong, allocatedPerRequest);
        _measurements.Add(m);
        Console.WriteLine(
            $"{name,-28} {m.EventsPerSecond,9:F0} ev/s {m.RequestsPerSecond,9:F1} req/s  p50 {m.P50,7:F1} p95 {m.P95,7:F1} p99 {m.P99,7:F1} ms  " +
            $"cpu server {m.ServerCores:F2} pg {m.PostgresCores:F2} gen {m.GeneratorCores:F2}  rss {m.PeakRssMb:F0} MB  wal {m.WalBytesPerEvent:F0} B/ev  " +
            (double.IsNaN(m.AllocatedBytesPerRequest) ? "" : $"alloc {m.AllocatedBytesPerRequest / 1024:F1} KB/req  ") +
            $"refused {m.Refused} failed {m.Failed}{(wrong is null ? "" : wrong == 0 ? "  totals ok" : $"  TOTALS WRONG {wrong}")}");
        return m;
    }

    /// <summary>
    /// Usage queries at a steady rate while bulk ingest runs at half the rate it reached in this run; beside them, at
    /// half their rate, the floor: <c>GET /health/live</c>, a request that does nothing (no key check, no grain, no database),
    /// timed the same way in the same seconds. What the floor's tail holds is the machine's (the wake-ups of the
    /// threads a request passes through, on cores the bulk and PostgreSQL keep busy), not the query's.
    /// </summary>
    private async Task QueryAsync(int run)
    {
        var bulkRate = (Find(run, "bulk")?.RequestsPerSecond ?? 20) / 2;
        var random = new Random(run);
        Shot Query(int worker)
        {
            int customer;
            lock (random)
            {
                customer = random.Next(options.Customers);
            }

            return new Shot(RawHttpConnection.Request(options.Url, "GET", $"/v1/customers/c{customer}/usage", _workload.ApiKey, []), 0, null);
        }

        var live = RawHttpConnection.Request(options.Url, "GET", "/health/live", _workload.ApiKey, []);
        Shot Floor(int worker) => new(live, 0, null);
        var floorConnections = Math.Max(1, options.QueryConnections / 2);

        var bulk = BulkShots();
        Settle("query");
        await Task.WhenAll(
            Load.RunAsync(options.Url, options.BulkConnections, options.WarmUp, bulkRate, bulk),
            Load.RunAsync(options.Url, options.QueryConnections, options.WarmUp, options.QueryRate, Query, ownThreads: true),
            Load.RunAsync(options.Url, floorConnections, options.WarmUp, options.QueryRate / 2, Floor, ownThreads: true));
        var wal = await WalBytesAsync();
        var sampler = new Sampler(options.ServerPid, options.PostgresPid);
        var ingest = Load.RunAsync(options.Url, options.BulkConnections, options.Seconds, bulkRate, bulk);
        var queries = Load.RunAsync(options.Url, options.QueryConnections, options.Seconds, options.QueryRate, Query, ownThreads: true);
        var floor = Load.RunAsync(options.Url, floorConnections, options.Seconds, options.QueryRate / 2, Floor, ownThreads: true);
        await Task.WhenAll(ingest, queries, floor);
        var cpu = sampler.Finish();
        await sampler.DisposeAsync();
        var walPerEvent = (await WalBytesAsync() - wal) / Math.Max(1, ingest.Result.Events);
        await RecordAsync(run, QueryScenario, queries.Result, cpu, double.NaN, verify: false);
        await RecordAsync(run, FloorScenario, floor.Result, cpu, double.NaN, verify: false);
        await RecordAsync(run, "query: bulk at half rate", ingest.Result, cpu, walPerEvent, verify: true);
    }

    private const string QueryScenario = "query: usage queries";
    private const string FloorScenario = "query: floor /health/live";

    /// <summary>The usage queries' p99 over the floor's in the same seconds (median over runs): 1 means the query's tail is the machine's.</summary>
    private double QueryTailOverFloor()
    {
        var ratios = new List<double>();
        for (var run = 1; run <= options.Runs; run++)
        {
            if (Find(run, QueryScenario) is { } query && Find(run, FloorScenario) is { P99: > 0 } floor)
            {
                ratios.Add(query.P99 / floor.P99);
            }
        }

        return Stats.Median(ratios);
    }

    /// <summary>Bulk ingest of client-named events, a share of them repeats of events already acknowledged; then repeats only.</summary>
    private async Task RetryAsync(int run)
    {
        var pools = Enumerable.Range(0, options.BulkConnections).Select(_ => new List<Workload.Sent>()).ToArray();
        var randoms = Enumerable.Range(0, options.BulkConnections).Select(w => new Random(1000 * run + w)).ToArray();
        var counters = new long[options.BulkConnections];
        Func<int, Shot> Shots(double share) => worker =>
        {
            var random = randoms[worker];
            var pool = pools[worker];
            var events = new Workload.Sent[options.BulkSize];
            var isNew = new bool[options.BulkSize];
            for (var i = 0; i < events.Length; i++)
            {
                if (pool.Count > 0 && random.NextDouble() < share)
                {
                    events[i] = pool[random.Next(pool.Count)];
                }
                else
                {
                    events[i] = _workload.NewEvent(random, $"evt-{_tag}-{run}-{worker}-{counters[worker]++}");
                    isNew[i] = true;
                }
            }

            return _workload.Shot(options.Url, "/v1/events/bulk", events, isNew, onAccepted: () =>
            {
                for (var i = 0; i < events.Length; i++)
                {
                    if (!isNew[i])
                    {
                        continue;
                    }

                    if (pool.Count < 200_000)
                    {
                        pool.Add(events[i]);
                    }
                    else
                    {
                        pool[random.Next(pool.Count)] = events[i];
                    }
                }
            });
        };

        await PhaseAsync(run, $"retry ({options.RetryShare:P0} repeats)", options.Url, options.BulkConnections, null, Shots(options.RetryShare), verify: true);
        await PhaseAsync(run, "retry: repeats only", options.Url, options.BulkConnections, null, Shots(1.0), verify: true);
    }

    private Func<int, Shot> BulkShots()
    {
        var randoms = Enumerable.Range(0, 64).Select(w => new Random(Environment.TickCount + w)).ToArray();
        return worker =>
        {
            var random = randoms[worker];
            var events = new Workload.Sent[options.BulkSize];
            for (var i = 0; i < events.Length; i++)
            {
                events[i] = _workload.NewEvent(random);
            }

            return _workload.Shot(options.Url, "/v1/events/bulk", events);
        };
    }

    private Func<int, Shot> SingleShots(Uri server, bool account, int? customer = null)
    {
        var randoms = Enumerable.Range(0, options.SingleConnections).Select(w => new Random(Environment.TickCount + w)).ToArray();
        return worker =>
        {
            var e = _workload.NewEvent(randoms[worker]);
            return _workload.Shot(server, "/v1/events", [customer is { } c ? e with { Customer = c } : e], account: account);
        };
    }

    private async Task<double> WalBytesAsync()
    {
        if (options.Postgres is null)
        {
            return double.NaN;
        }

        await using var connection = new NpgsqlConnection(options.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT wal_bytes::float8 FROM pg_stat_wal", connection);
        return (double)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>0 when the tenant's log holds exactly the new events acknowledged, else 1.</summary>
    private async Task<int> WrongRowCountAsync()
    {
        if (options.Postgres is null)
        {
            return 0;
        }

        await using var connection = new NpgsqlConnection(options.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = @t", connection);
        command.Parameters.AddWithValue("t", _workload.TenantId);
        var rows = (long)(await command.ExecuteScalarAsync())!;
        if (rows != _workload.NewEvents)
        {
            Console.WriteLine($"log rows {rows} != acknowledged new events {_workload.NewEvents}");
            return 1;
        }

        return 0;
    }

    /// <summary>Median over the runs of scenario ÷ baseline within each run (the baseline a raw figure or another scenario).</summary>
    private double Ratio(string scenario, string baseline)
    {
        var ratios = new List<double>();
        for (var run = 1; run <= options.Runs; run++)
        {
            var denominator = _baselines.TryGetValue((run, baseline), out var b) ? b : Find(run, baseline)?.EventsPerSecond;
            if (Find(run, scenario) is { } m && denominator is > 0)
            {
                ratios.Add(m.EventsPerSecond / denominator.Value);
            }
        }

        return Stats.Median(ratios);
    }

    private string Report()
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: `scripts/bench` ({options.Runs} runs; {options.Seconds.TotalSeconds:F0} s per scenario after {options.WarmUp.TotalSeconds:F0} s warm-up; {options.Customers} customers, {options.Features} features; bulk: {options.BulkConnections} connections × {options.BulkSize} events; single: {options.SingleConnections} connections; {(options.SettlePageCache ? "page cache written back before each scenario" : "--no-settle")}).");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Describe()}");
        md.AppendLine();
        if (options.Postgres is { } pg)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL: {Machine.PostgresSettings(pg)}");
            md.AppendLine();
        }

        md.AppendLine("Each figure: median of the runs (min–max). CPU in cores (1.00 = one core busy); server = the API+silo process; pg = PostgreSQL and its backends; gen = this load generator. WAL = bytes PostgreSQL wrote to its write-ahead log per event (all writes: events, checkpoints of grain state, membership).");
        md.AppendLine();
        md.AppendLine("| scenario | events/s | requests/s | p50 ms | p95 ms | p99 ms | server CPU | pg CPU | gen CPU | peak RSS MB | WAL B/event | CPU µs/event | totals |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var scenario in _measurements.Select(m => m.Scenario).Distinct())
        {
            var ms = _measurements.Where(m => m.Scenario == scenario).ToList();
            string F(Func<Measurement, double> f, string format) => Stats.Format(ms.Select(f).ToList(), format);
            var totals = ms.All(m => m.WrongTotals is null) ? "–" : ms.All(m => m.WrongTotals is null or 0) ? "exact" : "WRONG";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {scenario} | {F(m => m.EventsPerSecond, "F0")} | {F(m => m.RequestsPerSecond, "F1")} | {F(m => m.P50, "F1")} | {F(m => m.P95, "F1")} | {F(m => m.P99, "F1")} | " +
                $"{F(m => m.ServerCores, "F2")} | {F(m => m.PostgresCores, "F2")} | {F(m => m.GeneratorCores, "F2")} | {F(m => m.PeakRssMb, "F0")} | {F(m => m.WalBytesPerEvent, "F0")} | {F(m => m.CpuMicrosPerEvent, "F0")} | {totals} |");
        }

        if (_baselines.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("| baseline (same runs) | rows/s |");
            md.AppendLine("|---|---|");
            foreach (var name in _baselines.Keys.Select(k => k.Name).Distinct())
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Stats.Format([.. _baselines.Where(b => b.Key.Name == name).Select(b => b.Value)], "F0")} |");
            }
        }

        md.AppendLine();
        md.AppendLine("| ratio (project ÷ same-run baseline, median of runs) | value |");
        md.AppendLine("|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| bulk_vs_raw_ingest | {Ratio("bulk", "raw durable ingest"):F2} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| bulk_vs_plain_copy | {Ratio("bulk", "raw (c) plain binary COPY, no dedupe"):F2} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| single_vs_bare_http | {Ratio("single", "bare-http single"):F2} |");
        if (Wants("single-hot"))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| single_hot_vs_single | {Ratio("single-hot", "single"):F2} |");
        }

        if (Wants("import"))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| import_vs_bulk (the importer on a file of {options.ImportEvents:N0} events ÷ the bulk scenario) | {Ratio("import", "bulk"):F2} |");
        }

        if (Wants("query"))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| query_p99_vs_floor (usage queries' p99 ÷ the floor's, `GET /health/live` in the same seconds) | {QueryTailOverFloor():F2} |");
        }

        return md.ToString();
    }
}

public static class Stats
{
    public static double Median(List<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static string Format(List<double> values, string format)
    {
        var valid = values.Where(v => !double.IsNaN(v)).ToList();
        if (valid.Count == 0)
        {
            return "–";
        }

        var median = Median(valid).ToString(format, CultureInfo.InvariantCulture);
        return valid.Count == 1 ? median : $"{median} ({valid.Min().ToString(format, CultureInfo.InvariantCulture)}–{valid.Max().ToString(format, CultureInfo.InvariantCulture)})";
    }
}

public static class Machine
{
    public static string Describe()
    {
        var model = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
        var memory = MemInfoKb("MemTotal") is { } total ? $"{total} kB" : "?";
        return $"{Environment.ProcessorCount} cores ({model ?? "unknown CPU"}), {memory} memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>A field of /proc/meminfo ("Dirty", "MemTotal") in kB; null off Linux or when absent.</summary>
    public static long? MemInfoKb(string field)
    {
        if (!File.Exists("/proc/meminfo"))
        {
            return null;
        }

        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            // "Dirty:             25012 kB"
            if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public static string PostgresSettings(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var settings = new List<string>();
        using (var version = new NpgsqlCommand("SHOW server_version", connection))
        {
            settings.Add($"version {version.ExecuteScalar()}");
        }

        foreach (var name in new[] { "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "checkpoint_timeout", "commit_delay", "wal_compression", "wal_init_zero" })
        {
            using var command = new NpgsqlCommand($"SHOW {name}", connection);
            settings.Add($"{name}={command.ExecuteScalar()}");
        }

        return string.Join(", ", settings);
    }
}

/// <summary>Writes the generated report into RESULTS.md between markers, keeping the hand-written notes around it.</summary>
public static class Results
{
    private const string Begin = "<!-- scripts/bench: generated figures begin -->";
    private const string End = "<!-- scripts/bench: generated figures end -->";

    public static void Write(string path, string report)
    {
        var block = $"{Begin}\n{report.TrimEnd()}\n{End}";
        var text = File.Exists(path) ? File.ReadAllText(path) : $"# Benchmark results\n\n{Begin}\n{End}\n";
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        text = start >= 0 && end > start ? text[..start] + block + text[(end + End.Length)..] : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
    }

    /// <summary>Replaces (or adds) the generated section <paramref name="name"/> of the results file (e.g. the soak's).</summary>
    public static void WriteSection(string path, string name, string report)
    {
        var (begin, end) = ($"<!-- scripts/bench: {name} begin -->", $"<!-- scripts/bench: {name} end -->");
        var block = $"{begin}\n{report.TrimEnd()}\n{end}";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmark results\n";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        text = start >= 0 && stop > start ? text[..start] + block + text[(stop + end.Length)..] : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
    }
}
