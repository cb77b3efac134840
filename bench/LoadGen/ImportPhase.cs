using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Flexprice.Bench;

/// <summary>
/// The <c>import</c> scenario: writes a file of <c>--import-events</c> new events for the bench
/// tenant (NDJSON, no event ids: the importer derives them; timestamps spread over the hour before),
/// runs the importer on it as its own process (<c>Flexprice.Importer.dll FILE --batch-size B
/// --concurrency C</c>, as the bulk scenario's B events × C connections), and times it from process
/// start to exit: hashing the file, JIT and all. Events/s = events in the file ÷ that time. On
/// success the file's events join the expected totals, which the suite then checks.
/// </summary>
public sealed class ImportPhase(BenchOptions options, Workload workload, string importerDll, string tag)
{
    private string _file = "";
    private Workload.Sent[] _events = [];

    /// <summary>Writes the file (not timed).</summary>
    public async Task PrepareAsync(int run)
    {
        _file = Path.Combine(Path.GetTempPath(), $"flexprice-bench-import-{tag}-{run}.ndjson");
        _events = await WriteFileAsync(_file, new Random(HashCode.Combine(tag, run)));
        Console.WriteLine($"import: {options.ImportEvents:N0} events in {_file} ({new FileInfo(_file).Length / 1048576.0:F0} MB)");
    }

    /// <summary>Runs the importer on the file and removes the file and what the importer left beside it.</summary>
    public async Task<(LoadResult Result, double ImporterCores, string Summary)> RunAsync()
    {
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
                     {
                         importerDll, _file, "--url", options.Url.ToString(), "--api-key", workload.ApiKey, "--progress", "none",
                         "--batch-size", options.BulkSize.ToString(CultureInfo.InvariantCulture),
                         "--concurrency", options.BulkConnections.ToString(CultureInfo.InvariantCulture),
                     })
            {
                start.ArgumentList.Add(a);
            }

            var cpu0 = Proc.CpuSeconds(Environment.ProcessId, withChildren: true);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var seconds = clock.Elapsed.TotalSeconds;
            // The importer has exited and been reaped: its CPU time is in this process's children's.
            var cores = (Proc.CpuSeconds(Environment.ProcessId, withChildren: true) - cpu0) / seconds;
            var summary = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("import summary:", StringComparison.Ordinal)) ?? "";
            var complete = process.ExitCode == 0 && summary.Contains($"sent={options.ImportEvents} ", StringComparison.Ordinal) && summary.Contains("refused=0", StringComparison.Ordinal);
            if (complete)
            {
                foreach (var e in _events)
                {
                    workload.Acknowledge(e);
                }
            }
            else
            {
                Console.WriteLine($"import FAILED (exit {process.ExitCode}): {await output}\n{await errors}");
            }

            var result = new LoadResult
            {
                Seconds = seconds,
                RequestCount = complete ? (options.ImportEvents + options.BulkSize - 1) / options.BulkSize : 0,
                Events = complete ? options.ImportEvents : 0,
                Refused = 0,
                Failed = complete ? 0 : 1,
                LatenciesMs = [],
                Requests = [],
            };
            return (result, cores, summary);
        }
        finally
        {
            foreach (var path in new[] { _file, _file + ".checkpoint.json", _file + ".rejected.ndjson" })
            {
                File.Delete(path);
            }
        }
    }

    private async Task<Workload.Sent[]> WriteFileAsync(string path, Random random)
    {
        var events = new Workload.Sent[options.ImportEvents];
        var from = DateTime.UtcNow.AddHours(-1);
        var step = TimeSpan.FromHours(1) / Math.Max(1, options.ImportEvents);
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var line = new StringBuilder(160);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i] = workload.NewEvent(random);
            line.Clear().Append(CultureInfo.InvariantCulture, $"{{\"event_name\":\"bench.f{e.Feature}\",\"external_customer_id\":\"c{e.Customer}\",\"timestamp\":\"{from + step * i:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}\",\"properties\":{{\"credits\":{e.Credits}}}}}");
            await writer.WriteLineAsync(line);
        }

        return events;
    }

    /// <summary>The importer built next to this generator: <c>src/Importer/bin/&lt;Configuration&gt;/net10.0/Flexprice.Importer.dll</c> under the repository.</summary>
    public static string? Locate()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flexprice.Orleans.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "Importer", "bin", configuration, "net10.0", "Flexprice.Importer.dll");
                return File.Exists(dll) ? dll : null;
            }
        }

        return null;
    }
}
