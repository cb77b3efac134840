using System.Diagnostics;
using System.Text.Json;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Importer;

/// <summary>
/// The importer killed with SIGKILL mid-run (bulks in flight, refusals not yet written, a checkpoint
/// behind what the server already stored), then started again with <c>--resume</c>: the import ends
/// with exact totals on the server (every good line counted once, recomputed from the file), in the
/// rejected file (every bad line once, in order) and in its own summary.
/// </summary>
public sealed class ImportKillNineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _dir = Directory.CreateTempSubdirectory("flexprice-import-kill-").FullName;
    private ServerProcess? _server;
    private ImporterProcess? _importer;

    public void Dispose()
    {
        _importer?.Dispose();
        if (_server is not null)
        {
            _server.Dispose();
            output.WriteLine($"--- end of the server's output ---\n{_server.Tail(40)}");
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task An_import_killed_mid_run_and_resumed_ends_with_exact_totals()
    {
        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "import-kill9") with
        {
            Extra = new Dictionary<string, string> { ["RateLimits__BulkPerMinute"] = "100000" },
        };
        _server = await ServerProcess.StartAsync(settings, ReadyTimeout);
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 8);
        var file = ImportFile.Write(Path.Combine(_dir, "backfill.ndjson"), tenant.Customers, lines: 40_000, seed: 16, badEvery: 400, repeats: 100);
        var checkpointPath = file.Path + ".checkpoint.json";
        string[] Args(params string[] more) =>
            [file.Path, "--url", settings.BaseAddress.ToString(), "--api-key", tenant.ApiKey, "--batch-size", "250", "--concurrency", "4", "--window", "5000", "--progress", "plain", .. more];
        Log($"{file.Records} records, {file.Refused.Count} bad, {file.DistinctEvents} distinct events");

        _importer = ImporterProcess.Start(Args());
        JsonElement atKill;
        while (true)
        {
            Assert.False(_importer.HasExited, $"the import ended before it could be killed mid-run; its output:\n{_importer.Output}");
            if (ReadCheckpoint(checkpointPath) is { } c && c.GetProperty("totals").GetProperty("records").GetInt64() > 0)
            {
                _importer.Kill();
                atKill = ReadCheckpoint(checkpointPath)!.Value;
                break;
            }

            await Task.Delay(20);
        }

        var storedAtKill = (await EventLedger.StoredAsync(tenant.Id)).Count;
        var doneAtKill = atKill.GetProperty("totals").GetProperty("records").GetInt64();
        Log($"killed: the checkpoint counts {doneAtKill} records done (line {atKill.GetProperty("line")}), the server holds {storedAtKill} events");
        Assert.False(atKill.GetProperty("completed").GetBoolean());
        Assert.InRange(doneAtKill, 1, file.Records - 1);

        _importer = ImporterProcess.Start(Args("--resume"));
        Assert.True(await _importer.WaitAsync(TimeSpan.FromMinutes(5)) == 0, $"the resumed import failed; its output:\n{_importer.Output}");
        var summary = _importer.Summary;
        Log($"resumed: {string.Join(' ', summary.Select(p => $"{p.Key}={p.Value}"))}");

        Assert.Equal("true", summary["complete"]);
        Assert.Equal("2", summary["runs"]);
        Assert.Equal(file.Records, long.Parse(summary["records"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(file.Refused.Count, long.Parse(summary["refused"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(file.Records - file.Refused.Count, long.Parse(summary["sent"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(file.Records - doneAtKill, long.Parse(summary["run_records"], System.Globalization.CultureInfo.InvariantCulture));

        var stored = await EventLedger.StoredAsync(tenant.Id);
        Assert.Equal(file.DistinctEvents, stored.Count);
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
        foreach (var customer in tenant.Customers)
        {
            var usage = await EventLedger.UsageAsync(http, customer);
            Assert.Equal((file.Credits[customer], (decimal)file.Counts[customer]), (usage.Credits, usage.Calls));
        }

        var rejected = File.ReadLines(file.Path + ".rejected.ndjson").Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(file.Refused.Keys, rejected.Select(r => r.GetProperty("line").GetInt64()));
        Assert.All(rejected, r => Assert.Contains(file.Refused[r.GetProperty("line").GetInt64()], r.GetProperty("reason").GetString()));
        Log($"exact: {stored.Count} events stored once each, every customer's usage equals the file's, {rejected.Count} lines rejected once each");
    }

    private static JsonElement? ReadCheckpoint(string path)
    {
        try
        {
            return File.Exists(path) ? JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.Clone() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");
}
