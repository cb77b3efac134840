using System.Collections.Concurrent;
using System.Diagnostics;
using Flexprice.Tests.Durability;

namespace Flexprice.Tests.Importer;

/// <summary>The importer (<c>dotnet Flexprice.Importer.dll</c>) as its own OS process, so that it can be killed with SIGKILL.</summary>
public sealed class ImporterProcess : IDisposable
{
    public const string DllName = "Flexprice.Importer.dll";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ImporterProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output => string.Join('\n', _output);

    /// <summary>The <c>import summary:</c> line's fields (<c>records=…</c>, <c>sent=…</c>, …).</summary>
    public Dictionary<string, string> Summary =>
        _output.LastOrDefault(l => l.StartsWith("import summary:", StringComparison.Ordinal)) is { } line
            ? line["import summary:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1])
            : [];

    public static ImporterProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Locate());
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = start };
        var importer = new ImporterProcess(process);
        process.OutputDataReceived += (_, e) => importer.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => importer.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return importer;
    }

    /// <summary>SIGKILL: no shutdown code runs, requests in flight are cut.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        _process.WaitForExit(10_000);
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"the importer did not finish within {timeout.TotalSeconds:0} s; its output:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary><c>src/Importer/bin/&lt;Configuration&gt;/net10.0/Flexprice.Importer.dll</c>, else the copy next to the tests.</summary>
    private static string Locate()
    {
        var tfm = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Name;
        var candidates = new List<string>();
        if (ApiBinary.RepoRoot() is { } root)
        {
            candidates.Add(Path.Combine(root, "src", "Importer", "bin", ApiBinary.Configuration, tfm, DllName));
        }

        candidates.Add(Path.Combine(AppContext.BaseDirectory, DllName));
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new FileNotFoundException($"No built importer found; looked at: {string.Join(", ", candidates)}. Build the solution first.");
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
