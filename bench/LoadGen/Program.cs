using System.Globalization;
using Flexprice.Bench;

// scripts/bench's load generator and referee. Against a running Flexprice (and, when given, the
// bare-HTTP baseline and the PostgreSQL behind it) it runs every scenario once per run, checks after
// each that every customer's usage equals what was acknowledged, and prints per-scenario figures,
// their medians over the runs, and the ratios to the same-run baselines; the last lines are
// `ratio bulk_vs_raw_ingest: …`, `ratio single_vs_bare_http: …`, `ratio single_hot_vs_single: …`,
// `ratio import_vs_bulk: …` and `ratio query_p99_vs_floor: …` (the last three when --only asks for their scenarios).
//
//   dotnet bench/LoadGen/bin/Release/net10.0/Flexprice.LoadGen.dll --url http://127.0.0.1:8080 \
//       --admin-key sk_local_flexprice_test_key [--bare-url …] [--pg "Host=…"] [--server-pid N] [--pg-pid N] \
//       [--runs 3] [--seconds 10] [--warmup 3] [--only bulk,single] [--results bench/RESULTS.md] [--timeline 25] [--no-settle]
//       [--import-events 1000000] [--importer src/Importer/bin/Release/net10.0/Flexprice.Importer.dll]
//
// The import scenario runs the importer (its own process) on a file of --import-events new events,
// right after the bulk scenario of the same run, with the bulk scenario's batch size and connections;
// import_vs_bulk is its events/s over the bulk scenario's, per run.
//
// Before each scenario the machine's dirty page cache is written to disk (PageCache.Settle), so a scenario is not
// charged for the previous one's writes; --no-settle leaves it as it is (as every run before 2026-12-07 07:56 UTC, commit 8a5bfcf, did).
//
// --timeline MS prints, after each scenario, the 100 ms slices of it that held requests slower than
// MS: a stall (a GC pause, a checkpoint's fsync) shows as a run of slices, and its time can be laid
// next to the server's and PostgreSQL's logs.
//
// --soak DURATION (e.g. 10m) runs the soak instead: single events at half the measured maximum (or --soak-rate N)
// for DURATION, with the server's RSS, GC heap, activations and errors per minute (see Soak).
// --heavy [--heavy-events N] runs the heavy-read scenario instead (see HeavyPhase).
var options = BenchOptions.Parse(args);
if (Array.IndexOf(args, "--soak") is var soak and >= 0 && soak + 1 < args.Length)
{
    var rate = Array.IndexOf(args, "--soak-rate") is var r and >= 0 && r + 1 < args.Length ? args[r + 1] : null;
    return await new Soak(options, Soak.ParseDuration(args[soak + 1])).RunAsync(rate);
}

if (Array.IndexOf(args, "--heavy") >= 0)
{
    var heavyEvents = Array.IndexOf(args, "--heavy-events") is var h and >= 0 && h + 1 < args.Length ? int.Parse(args[h + 1], CultureInfo.InvariantCulture) : 1_000_000;
    return await new HeavyPhase(options, heavyEvents).RunAsync();
}

var suite = new Suite(options);
return await suite.RunAsync();

public sealed record BenchOptions(
    Uri Url,
    Uri? BareUrl,
    string AdminKey,
    string? Postgres,
    int? ServerPid,
    int? PostgresPid,
    int? BarePid,
    int Runs,
    TimeSpan Seconds,
    TimeSpan WarmUp,
    TimeSpan RawSeconds,
    int Customers,
    int Features,
    int BulkSize,
    int BulkConnections,
    int SingleConnections,
    int QueryConnections,
    double QueryRate,
    double RetryShare,
    HashSet<string> Only,
    string? Results,
    double? TimelineMs,
    string? Importer,
    int ImportEvents,
    bool SettlePageCache)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        double Double(string name, double fallback) => Value(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

        return new BenchOptions(
            new Uri(Value("--url") ?? "http://127.0.0.1:8080"),
            Value("--bare-url") is { } bare ? new Uri(bare) : null,
            Value("--admin-key") ?? "sk_local_flexprice_test_key",
            Value("--pg"),
            Value("--server-pid") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : null,
            Value("--pg-pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : null,
            Value("--bare-pid") is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : null,
            Int("--runs", 3),
            TimeSpan.FromSeconds(Double("--seconds", 10)),
            TimeSpan.FromSeconds(Double("--warmup", 3)),
            TimeSpan.FromSeconds(Double("--raw-seconds", 6)),
            Int("--customers", 10_000),
            Int("--features", 5),
            Int("--bulk-size", 1000),
            Int("--bulk-connections", 4),
            Int("--single-connections", 64),
            Int("--query-connections", 8),
            Double("--query-rate", 500),
            Double("--retry-share", 0.2),
            [.. (Value("--only") ?? "raw,bare,bulk,import,single,single-hot,single-half,query,retry").Split(',', StringSplitOptions.RemoveEmptyEntries)],
            Value("--results"),
            Value("--timeline") is { } t ? double.Parse(t, CultureInfo.InvariantCulture) : null,
            Value("--importer") ?? ImportPhase.Locate(),
            Int("--import-events", 1_000_000),
            Array.IndexOf(args, "--no-settle") < 0);
    }
}
