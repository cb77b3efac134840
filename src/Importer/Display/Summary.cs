using System.Globalization;
using Flexprice.Importer.Running;

namespace Flexprice.Importer.Display;

/// <summary>The end of a run: sent, duplicates, refused, time; and one <c>import summary:</c> line for scripts.</summary>
public static class Summary
{
    public static void Write(ImportOutcome o, TextWriter output)
    {
        var t = o.Totals;
        var state = o.Completed ? "done" : o.Interrupted ? "interrupted (run again with --resume to continue)" : $"stopped: {o.Failure} (run again with --resume to continue)";
        output.WriteLine($"import of {o.File}: {state}");
        output.WriteLine($"  records     {t.Records,12:N0}");
        output.WriteLine($"  sent        {t.Sent,12:N0}   acknowledged by the server (duplicates included)");
        output.WriteLine(t.Unreported == 0
            ? $"  duplicates  {t.Duplicates,12:N0}   already stored, counted zero more times (as the server reported)"
            : t.Unreported == t.Sent
                ? "  duplicates       unknown   the server does not report them (no \"duplicates\" in its answers)"
                : $"  duplicates  {t.Duplicates,12:N0}+  reported; {t.Unreported:N0} events were acknowledged by answers that did not say");
        output.WriteLine($"  refused     {t.Refused,12:N0}   {(t.Refused > 0 ? $"with the reasons in {o.RejectedPath}" : "")}");
        output.WriteLine($"  time        {o.RunSeconds,10:F1} s   this run{(o.Runs > 1 ? $"; {o.TotalSeconds:F1} s over {o.Runs} runs" : "")}");
        output.WriteLine($"  rate        {o.RunEventsPerSecond,12:N0}   records per second in this run");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"import summary: complete={(o.Completed ? "true" : "false")} records={t.Records} sent={t.Sent} duplicates={(t.Unreported == t.Sent && t.Sent > 0 ? "unknown" : t.Duplicates.ToString(CultureInfo.InvariantCulture))} refused={t.Refused} run_records={o.RunRecords} run_seconds={o.RunSeconds:F2} events_per_second={o.RunEventsPerSecond:F0} runs={o.Runs}"));
    }
}
