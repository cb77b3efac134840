using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Flexprice.Bench;

/// <summary>
/// <c>scripts/bench --soak DURATION</c>: steady single-event traffic at half the rate the server reaches (measured first,
/// or <c>--soak-rate N</c>) for DURATION, minute by minute: the server's RSS and GC heap, live activations, requests
/// answered, refused and failed, p99. Ends with every customer's usage checked against what was acknowledged, and the
/// RSS growth after the first minute; the table goes into bench/RESULTS.md (its own section).
/// </summary>
public sealed class Soak(BenchOptions options, TimeSpan duration)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(2) };

    public static TimeSpan ParseDuration(string text)
    {
        var unit = text[^1];
        var number = char.IsDigit(unit) ? text : text[..^1];
        var value = double.Parse(number, Invariant);
        return unit switch
        {
            'h' => TimeSpan.FromHours(value),
            'm' => TimeSpan.FromMinutes(value),
            _ => TimeSpan.FromSeconds(value),
        };
    }

    public async Task<int> RunAsync(string? rateText)
    {
        var clock = Stopwatch.StartNew();
        var workload = await Workload.CreateAsync(_http, options.AdminKey, options.Customers, options.Features);
        await workload.VerifyAsync(_http);
        Console.WriteLine($"soak: {options.Url}, {options.Customers} customers, {duration.TotalMinutes:F1} min; machine: {Machine.Describe()}");
        var randoms = Enumerable.Range(0, options.SingleConnections).Select(w => new Random(Environment.TickCount + w)).ToArray();
        Shot Next(int worker) => workload.Shot(options.Url, "/v1/events", [workload.NewEvent(randoms[worker])]);

        double rate;
        if (rateText is not null)
        {
            rate = double.Parse(rateText, Invariant);
        }
        else
        {
            await Load.RunAsync(options.Url, options.SingleConnections, options.WarmUp, null, Next);
            var maximum = await Load.RunAsync(options.Url, options.SingleConnections, options.Seconds, null, Next);
            rate = maximum.EventsPerSecond / 2;
            Console.WriteLine($"maximum single rate {maximum.EventsPerSecond:F0} ev/s (p99 {maximum.Percentile(0.99):F1} ms); soaking at {rate:F0} ev/s");
        }

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Soak of {duration.TotalMinutes:F0} min at {rate:F0} single events/s ({options.SingleConnections} connections, {options.Customers} customers), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average at start {Machine.LoadAverage()}:");
        table.AppendLine();
        table.AppendLine("| minute | events/s | p99 ms | failed | refused | RSS MB | GC heap MB | activations |");
        table.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine("minute   events/s   p99 ms  failed refused   RSS MB  GC heap MB  activations");
        double? firstMinuteRss = null;
        double lastRss = double.NaN;
        long errors = 0;
        var minutes = Math.Max(1, (int)Math.Ceiling(duration.TotalMinutes));
        for (var minute = 1; minute <= minutes; minute++)
        {
            var length = minute < minutes ? TimeSpan.FromMinutes(1) : duration - TimeSpan.FromMinutes(minutes - 1);
            var result = await Load.RunAsync(options.Url, options.SingleConnections, length, rate, Next);
            var rss = options.ServerPid is { } pid ? Proc.RssBytes(pid) / 1048576.0 : double.NaN;
            var metrics = await MetricsAsync();
            var heap = Metric(metrics, "dotnet_gc_last_collection_heap_size_bytes") / 1048576.0;
            var activations = Metric(metrics, "orleans_catalog_activations");
            errors += result.Failed;
            firstMinuteRss ??= rss;
            lastRss = rss;
            var line = $"| {minute} | {result.EventsPerSecond:F0} | {result.Percentile(0.99):F1} | {result.Failed} | {result.Refused} | {rss:F0} | {heap:F0} | {activations:F0} |";
            table.AppendLine(line);
            Console.WriteLine($"{minute,6} {result.EventsPerSecond,10:F0} {result.Percentile(0.99),8:F1} {result.Failed,7} {result.Refused,7} {rss,8:F0} {heap,11:F0} {activations,12:F0}");
        }

        var wrong = await workload.VerifyAsync(_http);
        var growth = lastRss - (firstMinuteRss ?? double.NaN);
        var summary = $"errors {errors}; RSS after the first minute {firstMinuteRss:F0} MB, at the end {lastRss:F0} MB (growth {growth:F0} MB); " +
            (wrong == 0 ? "every customer's usage equals its acknowledged events" : $"TOTALS WRONG for {wrong} customers");
        table.AppendLine();
        table.AppendLine(summary);
        Console.WriteLine(summary);
        Console.WriteLine($"soak took {clock.Elapsed.TotalMinutes:F1} min");
        Console.WriteLine($"soak errors: {errors}");
        Console.WriteLine($"soak rss_growth_mb: {growth.ToString("F0", Invariant)}");
        if (options.Results is { } path)
        {
            Results.WriteSection(path, "soak", table.ToString());
            Console.WriteLine($"results written to {path}");
        }

        return wrong == 0 && errors == 0 ? 0 : 1;
    }

    private async Task<string> MetricsAsync()
    {
        try
        {
            return await _http.GetStringAsync(new Uri(options.Url, "/metrics"));
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>The sum of a Prometheus metric's samples (every label set), NaN when absent.</summary>
    private static double Metric(string text, string name)
    {
        var sum = double.NaN;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
            {
                var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], Invariant);
                sum = double.IsNaN(sum) ? value : sum + value;
            }
        }

        return sum;
    }
}
