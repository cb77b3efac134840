using Flexprice.Importer.Running;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Flexprice.Importer.Display;

/// <summary>The progress bar's events/s: events acknowledged in this run ÷ this run's time.</summary>
public sealed class EventsPerSecondColumn(ImportRun run) : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        var seconds = run.Elapsed.TotalSeconds;
        var rate = seconds > 0 ? run.SentThisRun / seconds : 0;
        return new Markup($"[cyan]{rate,8:N0} events/s[/]");
    }
}
