using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Flexprice.Api.Usage;
using Flexprice.Grains.Storage;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flexprice.Tests.Storage;

/// <summary>
/// Retention (<c>Retention__Days</c>) and archives, each test on a database of its own (retention drops partitions every
/// tenant shares): old partitions go with their idempotency keys, all-time usage keeps counting their events (the
/// customers' checkpoints hold them), usage computed from the log over a dropped range says so, and a partition exported
/// (by the silo before the drop, or by <c>scripts/archive</c>) loads back exactly.
/// </summary>
public sealed class EventLogRetentionTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public async Task Retention_drops_old_partitions_while_all_time_usage_stays_right_from_checkpoints_and_the_log_says_what_it_no_longer_holds()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("retention");
        // Both clusters are one service (checkpoints are kept per Orleans service id), as a deployment's restarts are.
        var service = ("Orleans:ServiceId", $"retention-{Guid.NewGuid():N}");
        var now = DateTime.UtcNow;
        var old = now.Date.AddDays(-20).AddHours(9);
        var recent = now.Date.AddDays(-2).AddHours(9);
        string apiKey;
        decimal allTime;
        long allTimeCount;

        // Without retention: events 20 days old and 2 days old, each append checkpointed.
        await using (var api = new OwnDatabaseApi(connectionString, service, ("CustomerGrain:CheckpointEveryEvents", "1")))
        {
            await api.InitializeAsync();
            using var tenant = await api.NewTenantAsync();
            apiKey = tenant.ApiKey;
            await tenant.CreateFeatureAsync("api.calls", "SUM", "n", name: "calls");
            await tenant.CreateCustomerAsync("c1");
            await (await tenant.PostBulkAsync(
                Event("old-1", old, 1), Event("old-2", old.AddHours(1), 2), Event("old-3", old.AddHours(2), 3),
                Event("new-1", recent, 10), Event("new-2", recent.AddHours(1), 20))).ReadJsonAsync(HttpStatusCode.Accepted);
            var usage = (await tenant.UsageAsync("c1"))["calls"];
            (allTime, allTimeCount) = (usage.GetProperty("value").GetDecimal(), usage.GetProperty("event_count").GetInt64());
        }

        Assert.Equal(36m, allTime);
        Assert.Equal(5, allTimeCount);
        var oldPartition = $"events_p{old:yyyyMMdd}";
        Assert.Equal(3, await TestDatabase.ScalarOnAsync<long>(connectionString, $"SELECT count(*) FROM {oldPartition}"));

        // A retention run keeping 10 days (what every silo runs every hour).
        await using (var database = FlexpriceDatabase.Create(connectionString))
        {
            var report = await Maintenance(database, new EventLogRetentionOptions { Days = 10 }).RunAsync(now, default);
            Assert.Contains(oldPartition, report.Dropped);
            Assert.Contains(EventLogPartitions.BeforeName, report.Dropped);
            Assert.DoesNotContain($"events_p{recent:yyyyMMdd}", report.Dropped);
        }

        Assert.Null(await TestDatabase.ScalarOnAsync<string>(connectionString, "SELECT to_regclass(@p)::text", ("p", oldPartition)));
        Assert.Equal(2, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM events"));
        Assert.Equal(2, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM event_ids"));

        // A new cluster with retention on: every customer grain starts from its checkpoint.
        await using (var api = new OwnDatabaseApi(connectionString, service, ("Retention:Days", "10")))
        {
            await api.InitializeAsync();
            using var client = api.ClientWithKey(apiKey);
            var tenant = new TenantClient("", apiKey, client);

            // All-time usage still counts the dropped events: the log holds two of the five.
            var usage = (await tenant.UsageAsync("c1"))["calls"];
            Assert.Equal(allTime, usage.GetProperty("value").GetDecimal());
            Assert.Equal(allTimeCount, usage.GetProperty("event_count").GetInt64());

            // Usage computed from the log (the tenant's, over a range) counts what the log holds and, over a dropped
            // range, says since when it holds everything.
            var retainedFrom = now.Date.AddDays(-10);
            var (wide, wideHeader) = await TenantUsageAsync(client, now.AddDays(-30), now.AddDays(1));
            Assert.Equal(30m, wide);
            Assert.Equal(retainedFrom.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), wideHeader);
            var (narrow, narrowHeader) = await TenantUsageAsync(client, now.AddDays(-5), now.AddDays(1));
            Assert.Equal(30m, narrow);
            Assert.Null(narrowHeader);

            // An event older than retention keeps is refused (its partition would go within the day), nothing stored.
            var refused = await tenant.PostEventAsync(Event("old-4", old.AddHours(3), 4));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("retention", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(2, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM events"));
        }
    }

    [Fact]
    public async Task A_partition_archived_before_its_drop_and_one_exported_by_scripts_archive_load_back_exactly()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("archive");
        var now = DateTime.UtcNow;
        var days = new[] { now.Date.AddDays(-15), now.Date.AddDays(-14) };
        await using var database = FlexpriceDatabase.Create(connectionString);
        var log = new EventLogAppender(database);
        // Three customers, ids client-named and server-made, a source, properties with unicode and decimals.
        for (var c = 0; c < 3; c++)
        {
            var events = Enumerable.Range(0, 40).Select(i => LogEvent(
                i % 2 == 0 ? $"id-{c}-{i}" : $"event_{Guid.NewGuid():N}",
                days[i % 2].AddMinutes(i * 7 + c).AddTicks(i * 13 * 10),
                $$"""{"n": {{i}}.5, "name": "zähler {{c}}", "tags": ["a", "b"]}""",
                named: i % 2 == 0)).ToList();
            await log.AppendAsync("tenant_a", $"c{c}", $"cust_{c}", events, 0, now, default);
        }

        var partitions = days.Select(d => $"events_p{d:yyyyMMdd}").ToArray();
        var snapshot = await SnapshotAsync(connectionString);
        Assert.Equal(120, snapshot.Count);
        var directory = Directory.CreateTempSubdirectory("flexprice-archive-").FullName;
        try
        {
            // The second day's partition exported by the script, as CSV, before retention runs.
            var csv = Path.Combine(directory, partitions[1] + ".csv");
            await ArchiveScriptAsync(connectionString, "export", partitions[1], csv);

            // Retention keeping 12 days, with an archive directory: the silo's way writes the first day's file.
            var report = await Maintenance(database, new EventLogRetentionOptions { Days = 12, ArchiveDirectory = directory }).RunAsync(now, default);
            Assert.Equal(partitions, report.Dropped.Where(partitions.Contains));
            Assert.Contains(Path.Combine(directory, partitions[0] + EventLogArchive.Extension), report.Archived);
            Assert.Equal(0, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM events"));
            Assert.Equal(0, await TestDatabase.ScalarOnAsync<long>(connectionString, "SELECT count(*) FROM event_ids"));

            // Loaded back (binary and CSV), twice: the same rows, fingerprints and positions, nothing twice.
            foreach (var file in new[] { Path.Combine(directory, partitions[0] + EventLogArchive.Extension), csv, csv })
            {
                await ArchiveScriptAsync(connectionString, "load", file);
            }

            Assert.Equal(snapshot, await SnapshotAsync(connectionString));
            Assert.Equal(["c0:40", "c1:40", "c2:40"], await HeadsAsync(connectionString));

            // The loaded log goes on: the next append of a customer follows its loaded head; a loaded id is a duplicate.
            var next = await log.AppendAsync("tenant_a", "c0", "cust_0", [LogEvent("id-0-0", days[0], """{"n": 0.5, "name": "zähler 0", "tags": ["a", "b"]}""", named: true), LogEvent("fresh", now, "{}", named: true)], 40, now, default);
            Assert.Equal(new Dictionary<string, long> { ["fresh"] = 41 }, next.Inserted);
            Assert.Equal(["id-0-0"], next.Existing.Keys);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Scripts_archive_and_bench_print_their_usage()
    {
        var archive = Run(Path.Combine(RepoRoot, "scripts", "archive"), [], "--help");
        Assert.Equal(0, archive.ExitCode);
        Assert.Contains("scripts/archive export", archive.Output, StringComparison.Ordinal);
        Assert.Contains("scripts/archive load", archive.Output, StringComparison.Ordinal);
        var bench = Run(Path.Combine(RepoRoot, "scripts", "bench"), [], "--help");
        Assert.Equal(0, bench.ExitCode);
        Assert.Contains("--log-rows", bench.Output, StringComparison.Ordinal);
    }

    private static EventLogMaintenance Maintenance(FlexpriceDatabase database, EventLogRetentionOptions options) =>
        new(database, new EventLogPartitions(database), Options.Create(options), NullLogger<EventLogMaintenance>.Instance);

    private static object Event(string id, DateTime time, decimal n) =>
        new { event_id = id, event_name = "api.calls", external_customer_id = "c1", timestamp = time.ToString("o"), properties = new { n } };

    private static Flexprice.Grains.Abstractions.IngestEvent LogEvent(string id, DateTime time, string properties, bool named)
    {
        using var document = System.Text.Json.JsonDocument.Parse(properties);
        return new Flexprice.Grains.Abstractions.IngestEvent(
            id, "api.calls", time, named ? "sdk" : null, properties, Flexprice.Grains.Aggregation.EventFingerprint.Compute("api.calls", document.RootElement, time), named);
    }

    private static async Task<(decimal Value, string? RetainedFrom)> TenantUsageAsync(HttpClient client, DateTime start, DateTime end)
    {
        var response = await client.PostAsJsonAsync("/v1/events/usage", new
        {
            event_name = "api.calls", aggregation_type = "SUM", property_name = "n",
            start_time = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            end_time = end.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
        var body = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(UsageQueryService.FromLog, body.GetProperty("source").GetString());
        return (decimal.Parse(body.GetProperty("value").ToString(), System.Globalization.CultureInfo.InvariantCulture),
            response.Headers.TryGetValues(UsageQueryService.RetainedFromHeader, out var values) ? values.Single() : null);
    }

    /// <summary>Every logged event as text, with its partition, position and fingerprint, in a stable order.</summary>
    private static async Task<List<string>> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT concat_ws('|', e.tableoid::regclass::text, e.tenant_id, e.external_customer_id, e.customer_seq, e.event_id, e.event_name,
                   coalesce(e.source, '<null>'), to_char(e.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), e.properties::text,
                   to_char(e.ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), encode(k.fingerprint, 'hex'), k.customer_seq, k.event_time = e.event_time)
            FROM events e JOIN event_ids k ON k.tenant_id = e.tenant_id AND k.event_id = e.event_id AND k.external_customer_id = e.external_customer_id
            ORDER BY e.tenant_id, e.external_customer_id, e.customer_seq
            """, connection);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static async Task<List<string>> HeadsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT external_customer_id || ':' || last_seq FROM event_log_heads ORDER BY 1", connection);
        var heads = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            heads.Add(reader.GetString(0));
        }

        return heads;
    }

    private static async Task ArchiveScriptAsync(string connectionString, params string[] arguments)
    {
        var result = await Task.Run(() => Run(Path.Combine(RepoRoot, "scripts", "archive"), [("ConnectionStrings__Postgres", connectionString)], arguments));
        Assert.True(result.ExitCode == 0, $"scripts/archive {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Output}");
    }

    private static (int ExitCode, string Output) Run(string script, (string Name, string Value)[] environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "scripts", "archive")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("scripts/archive not found above " + AppContext.BaseDirectory);
    }

    private sealed class OwnDatabaseApi(string connectionString, params (string Key, string Value)[] settings) : ApiFactory
    {
        protected override void ConfigureSettings(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Postgres", connectionString);
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
