using Flexprice.Importer.Running;
using Spectre.Console;

namespace Flexprice.Importer.Display;

/// <summary>
/// Shows an import's progress while it runs: a Spectre.Console bar (bytes of the file done, events/s,
/// time left) on a terminal, or a plain line every 5 seconds (logs, CI), or nothing.
/// </summary>
public static class ProgressDisplay
{
    public static async Task ShowAsync(ImportRun run, ProgressMode mode, string file, Task running)
    {
        if (mode == ProgressMode.Auto)
        {
            mode = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected ? ProgressMode.Bar : ProgressMode.Plain;
        }

        switch (mode)
        {
            case ProgressMode.Bar:
                await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new EventsPerSecondColumn(run), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask(Path.GetFileName(file), maxValue: 1);
                        while (true)
                        {
                            var total = Math.Max(1, run.FileBytes - run.StartOffset);
                            task.MaxValue = total;
                            task.Value = Math.Clamp(run.ProgressOffset - run.StartOffset, 0, total);
                            task.Description = $"{Path.GetFileName(file)} [grey]({run.Phase}{(run.Retries > 0 ? $", {run.Retries} retries" : "")})[/]";
                            if (running.IsCompleted)
                            {
                                break;
                            }

                            await Task.WhenAny(running, Task.Delay(200));
                        }
                    });
                break;

            case ProgressMode.Plain:
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5)));
                    if (running.IsCompleted)
                    {
                        break;
                    }

                    var total = Math.Max(1, run.FileBytes - run.StartOffset);
                    var done = (double)Math.Clamp(run.ProgressOffset - run.StartOffset, 0, total) / total;
                    var seconds = run.Elapsed.TotalSeconds;
                    var rate = seconds > 0 ? run.SentThisRun / seconds : 0;
                    var left = done > 0 ? TimeSpan.FromSeconds(seconds * (1 - done) / done) : (TimeSpan?)null;
                    await Console.Error.WriteLineAsync(
                        $"import: {done:P0} of {Path.GetFileName(file)}, {run.SentThisRun:N0} events sent, {rate:N0} events/s, {(left is { } l ? $"about {l:hh\\:mm\\:ss} left" : run.Phase)}{(run.Retries > 0 ? $", {run.Retries} retries" : "")}");
                }

                break;

            default:
                await running.ContinueWith(_ => { }, TaskScheduler.Default);
                break;
        }
    }
}
