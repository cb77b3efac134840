using System.Runtime.InteropServices;
using Flexprice.Client;
using Flexprice.Importer;
using Flexprice.Importer.Display;
using Flexprice.Importer.Running;
using Microsoft.Extensions.DependencyInjection;

// scripts/import FILE: a backfill of usage events from an NDJSON or CSV file, on Flexprice.Client.
// Resumable (checkpoint file), idempotent (every event carries an id), constant memory.
ImportOptions options;
try
{
    options = ImportOptions.Parse(args);
}
catch (UsageException ex)
{
    if (ex.Message.Length > 0)
    {
        Console.Error.WriteLine($"import: {ex.Message}");
    }

    Console.Error.WriteLine(ImportOptions.Usage);
    return ex.Message.Length > 0 ? 2 : 0;
}

if (!File.Exists(options.File))
{
    Console.Error.WriteLine($"import: {options.File} does not exist");
    return 2;
}

var services = new ServiceCollection();
services.AddFlexpriceClient(o =>
{
    o.BaseAddress = options.Url;
    o.ApiKey = options.ApiKey;
    // The importer retries without end itself (same ids, Retry-After honoured); one quick retry
    // inside the HTTP pipeline smooths over a dropped connection.
    o.MaxRetryAttempts = 1;
    o.AttemptTimeout = TimeSpan.FromMinutes(2);
});
await using var provider = services.BuildServiceProvider();
var client = provider.GetRequiredService<FlexpriceClient>();

// Ctrl-C and SIGTERM stop the run cleanly: requests in flight are abandoned, the checkpoint keeps
// what is done (a kill -9 loses only what came after the last checkpoint, which --resume resends).
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});

var run = new ImportRun(options, client, TimeProvider.System, Console.Error);
var running = Task.Run(() => run.RunAsync(interrupt.Token));
await ProgressDisplay.ShowAsync(run, options.Progress, options.File, running);
ImportOutcome outcome;
try
{
    outcome = await running;
}
catch (Exception ex) when (ex is ImportFailedException or IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"import: {ex.Message}");
    return 1;
}

Summary.Write(outcome, Console.Out);
return outcome.Completed ? 0 : outcome.Interrupted ? 130 : 1;
