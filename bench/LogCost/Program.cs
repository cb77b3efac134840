using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Flexprice.Bench;
using Flexprice.Grains.Abstractions;
using Flexprice.Grains.Storage;
using Flexprice.Silo.Schema;
using Npgsql;

// What the event log's write path costs PostgreSQL, per event: the silo's append statement
// (EventLogAppender.AppendBatchAsync, as the group-commit writer calls it) run straight against the
// database, without HTTP or grains, so that the figures are PostgreSQL's alone and move little from
// run to run. Prints CPU µs/event of PostgreSQL (postmaster and every backend, from /proc), WAL bytes
// and full-page images per event, and events/s.
//
//   dotnet bench/LogCost/bin/Release/net10.0/Flexprice.LogCost.dll --pg "Host=…" --pg-pid N \
//       [--events 300000] [--warmup 30000] [--customers 10000] [--flush 1000] [--per-customer 1]
//       [--workers 2] [--named | --random-ids] [--backfill-days 0] [--fresh] [--rich] [--label text] [--sql "DROP INDEX …"]…
//
// --flush events per statement, over flush/per-customer customers (bulk over 10 000 customers puts
// ~1 event per customer in a flush); --named: client-named ids (the statement that looks ids up),
// --random-ids: client-named random UUIDs; --backfill-days D: timestamps spread over the D days before now;
// --sql: run before the measurement (repeatable), e.g. to drop one index and see what it cost;
// --rich: each event's properties are an AI-usage object of ~250 bytes (models, tokens, cost, a nested object)
// instead of {"credits": N};
// --fresh: in a database of its own (logcost), dropped and created anew, so variants start alike.
// A CHECKPOINT runs between the warm-up and the measurement, so every variant starts alike: the
// first change of each page after it writes a full-page image, as it does after every checkpoint.
var options = Options.Parse(args);
if (options.Fresh)
{
    // A database of its own, created anew: every variant starts from the same empty log.
    var admin = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = "postgres" }.ConnectionString;
    await ExecuteAsync(admin, "DROP DATABASE IF EXISTS logcost WITH (FORCE)");
    await ExecuteAsync(admin, "CREATE DATABASE logcost");
    options = options with { Postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = "logcost" }.ConnectionString };
}

var database = FlexpriceDatabase.Create(options.Postgres);
await DatabaseSchema.ApplyAsync(options.Postgres);
foreach (var sql in options.Sql)
{
    await ExecuteAsync(options.Postgres, sql);
}

var appender = new EventLogAppender(database);
var workload = new Workload(options);
await workload.RunAsync(appender, options.Warmup);
await ExecuteAsync(options.Postgres, "CHECKPOINT");

var wal0 = await WalAsync(options.Postgres);
var cpu0 = Proc.CpuSeconds(options.PostgresPid, withChildren: true);
var self0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
var clock = Stopwatch.StartNew();
var written = await workload.RunAsync(appender, options.Events);
var seconds = clock.Elapsed.TotalSeconds;
var cpu = Proc.CpuSeconds(options.PostgresPid, withChildren: true) - cpu0;
var self = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - self0;
var wal1 = await WalAsync(options.Postgres);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{options.Label,-40} {written / seconds,8:F0} ev/s  pg {cpu * 1e6 / written,6:F1} µs/ev ({cpu / seconds:F2} cores)  wal {(wal1.Bytes - wal0.Bytes) / written,6:F0} B/ev  fpi {(wal1.Fpi - wal0.Fpi) * 1000.0 / written,5:F1}/1000 ev  harness {self * 1e6 / written:F1} µs/ev  ({written} events, {options.Flush}/flush, {(options.Named ? "named" : "server-made")} ids)"));
await database.DisposeAsync();
return 0;

static async Task ExecuteAsync(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync();
}

static async Task<(double Bytes, long Fpi)> WalAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    // Bytes from the WAL position (exact); full-page images from pg_stat_wal, which backends report
    // with a delay of up to a second (approximate for short runs).
    await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, wal_fpi FROM pg_stat_wal", connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return ((double)reader.GetDecimal(0), reader.GetInt64(1));
}

internal sealed record Options(
    string Postgres, int PostgresPid, int Events, int Warmup, int Customers, int Flush, int PerCustomer, int Workers, bool Named, bool RandomIds, int BackfillDays, bool Fresh, string Label, List<string> Sql, bool Rich = false)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var sql = new List<string>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--sql")
            {
                sql.Add(args[i + 1]);
            }
        }

        return new Options(
            Value("--pg") ?? throw new ArgumentException("--pg is required"),
            Int("--pg-pid", 0) is > 0 and var pid ? pid : throw new ArgumentException("--pg-pid is required"),
            Int("--events", 300_000),
            Int("--warmup", 30_000),
            Int("--customers", 10_000),
            Int("--flush", 1000),
            Int("--per-customer", 1),
            Int("--workers", 2),
            args.Contains("--named") || args.Contains("--random-ids"),
            args.Contains("--random-ids"),
            Int("--backfill-days", 0),
            args.Contains("--fresh"),
            Value("--label") ?? "append",
            sql,
            args.Contains("--rich"));
    }
}

/// <summary>Flushes like the writer's under bulk load: random customers of one tenant, each worker its own customers.</summary>
internal sealed class Workload(Options options)
{
    private readonly string _tenant = "tenant_logcost_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
    private readonly long[] _seq = new long[options.Customers];
    private long _counter;

    public async Task<long> RunAsync(EventLogAppender appender, int events)
    {
        long written = 0;
        var perWorker = events / options.Workers;
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker * 7919 + Environment.TickCount);
            var done = 0;
            while (done < perWorker)
            {
                var requests = NextFlush(random, worker);
                var results = await appender.AppendBatchAsync(requests, DateTime.UtcNow, CancellationToken.None);
                for (var g = 0; g < requests.Count; g++)
                {
                    if (results[g].Collided || results[g].Refused is not null || results[g].Inserted.Count != requests[g].Events.Count)
                    {
                        throw new InvalidOperationException($"append of {requests[g].ExternalCustomerId} was not stored whole");
                    }

                    _seq[CustomerIndex(requests[g].ExternalCustomerId)] += requests[g].Events.Count;
                    done += requests[g].Events.Count;
                }
            }

            Interlocked.Add(ref written, done);
        })));
        return written;
    }

    private static int CustomerIndex(string external) => int.Parse(external.AsSpan(1), CultureInfo.InvariantCulture);

    private List<AppendRequest> NextFlush(Random random, int worker)
    {
        var groups = Math.Clamp(options.Flush / options.PerCustomer, 1, Math.Max(1, options.Customers / options.Workers));
        var customers = new HashSet<int>();
        while (customers.Count < groups)
        {
            // Worker w owns the customers c with c % workers == w: one writer per customer, as in a silo.
            var c = random.Next(options.Customers / options.Workers) * options.Workers + worker;
            customers.Add(c);
        }

        var now = DateTime.UtcNow;
        var requests = new List<AppendRequest>(groups);
        foreach (var c in customers)
        {
            var events = new List<IngestEvent>(options.PerCustomer);
            for (var k = 0; k < options.PerCustomer; k++)
            {
                var fingerprint = new byte[32];
                random.NextBytes(fingerprint);
                var id = !options.Named ? Ids.New("event", TimeProvider.System)
                    : options.RandomIds ? Guid.NewGuid().ToString()
                    : $"evt-{_tenant[^6..]}-{Interlocked.Increment(ref _counter)}";
                var time = options.BackfillDays > 0 ? now.AddSeconds(-random.NextDouble() * options.BackfillDays * 86400) : now;
                var micros = new DateTime(time.Ticks - time.Ticks % 10, DateTimeKind.Utc);
                events.Add(new IngestEvent(id, "bench.f" + random.Next(5), micros, null, options.Rich ? RichProperties(random) : "{\"credits\":" + random.Next(1, 100) + "}", fingerprint, options.Named));
            }

            requests.Add(new AppendRequest(_tenant, "c" + c, "cust_" + c, events, _seq[c]));
        }

        return requests;
    }

    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama-3.1-70b"];
    private static readonly string[] Regions = ["us-east-1", "eu-west-1", "ap-south-1"];

    /// <summary>What an AI-usage event carries (~250 bytes): strings, integers, a decimal, a boolean, a nested object.</summary>
    private static string RichProperties(Random random) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"credits\":{random.Next(1, 100)},\"model\":\"{Models[random.Next(Models.Length)]}\",\"input_tokens\":{random.Next(1, 20000)},\"output_tokens\":{random.Next(1, 4000)},\"cost_usd\":{random.Next(1, 100000) / 10000m},\"region\":\"{Regions[random.Next(Regions.Length)]}\",\"cached\":{(random.Next(2) == 0 ? "true" : "false")},\"request_id\":\"req_{random.NextInt64():x16}\",\"client\":{{\"sdk\":\"flexprice-ts\",\"version\":\"2.0.1\"}}}}");
}
