using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Durability;

/// <summary>
/// What a server process is started with. Reused unchanged across restarts: the same ports and the
/// same cluster and service ids, so the restarted silo supersedes the killed one at the same address
/// and finds its grain checkpoints.
/// </summary>
public sealed record ServerSettings(string ConnectionString, string BootstrapKey, int HttpPort, int SiloPort, int GatewayPort, string ClusterId)
{
    /// <summary>Extra environment (e.g. <c>CustomerGrain__CheckpointInterval</c>).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    public static ServerSettings Fresh(string connectionString, string name) => new(
        connectionString,
        $"sk_test_kill_{Guid.NewGuid():N}",
        ApiFactory.FreePort(),
        ApiFactory.FreePort(),
        ApiFactory.FreePort(),
        $"{name}-{Guid.NewGuid():N}");

    public IEnumerable<KeyValuePair<string, string>> Environment()
    {
        string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
        yield return new("ConnectionStrings__Postgres", ConnectionString);
        yield return new("FLEXPRICE_BOOTSTRAP_API_KEY", BootstrapKey);
        yield return new("ASPNETCORE_URLS", BaseAddress.ToString().TrimEnd('/'));
        yield return new("Orleans__SiloPort", Port(SiloPort));
        yield return new("Orleans__GatewayPort", Port(GatewayPort));
        yield return new("Orleans__ClusterId", ClusterId);
        yield return new("Orleans__ServiceId", ClusterId);
        foreach (var pair in Extra)
        {
            yield return pair;
        }
    }
}

/// <summary>
/// The real server (<c>dotnet Flexprice.Api.dll</c>, silo co-hosted) as a separate OS process, so
/// that it can be killed the hard way: <see cref="Kill"/> sends SIGKILL, no shutdown code runs.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const int KeptOutputLines = 400;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process) => _process = process;

    /// <summary>The process id (still readable after <see cref="Dispose"/>).</summary>
    public int Id { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (stdout and stderr interleaved).</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>The last <paramref name="lines"/> lines the process wrote.</summary>
    public string Tail(int lines) => string.Join('\n', _output.TakeLast(lines));

    /// <summary>Starts the server and waits until <c>GET /health/ready</c> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(ServerSettings settings, TimeSpan readyTimeout)
    {
        var dll = ApiBinary.Locate();
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        start.ArgumentList.Add(dll);
        // A test host's own settings must not leak into the server.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in settings.Environment())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start dotnet {dll}");
        }

        server.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(settings.BaseAddress, readyTimeout);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>SIGKILL to the process and everything it started, then waits until it is gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptOutputLines && _output.TryDequeue(out _))
        {
        }
    }

    private async Task WaitReadyAsync(Uri baseAddress, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The server exited with code {_process.ExitCode} before it was ready. Its output:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException(
            $"The server at {baseAddress} was not ready after {timeout.TotalSeconds:0} s (last answer: {last}). Its output:\n{Output}");
    }

    /// <summary>The dotnet host that runs the tests (the CLI passes its path down), else the one on PATH.</summary>
    private static string DotnetHost() =>
        System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
}

/// <summary>Where the built API is: the build of the same configuration as these tests.</summary>
public static class ApiBinary
{
    public const string SolutionFile = "Flexprice.Orleans.sln";
    public const string DllName = "Flexprice.Api.dll";

    /// <summary>Debug or Release: read from this test assembly's own output path (…/bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static string Configuration =>
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name
        ?? throw new InvalidOperationException($"Cannot tell the build configuration from {AppContext.BaseDirectory}");

    public static string? RepoRoot()
    {
        if (System.Environment.GetEnvironmentVariable("FLEXPRICE_TEST_REPO_ROOT") is { Length: > 0 } given
            && File.Exists(Path.Combine(given, SolutionFile)))
        {
            return given;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>src/Api/bin/&lt;Configuration&gt;/net10.0/Flexprice.Api.dll</c> under the repository root; else the
    /// copy the project reference puts next to this test assembly. Either way with its runtimeconfig
    /// and appsettings.json beside it (the API sets its content root to its own directory).
    /// </summary>
    public static string Locate()
    {
        var tfm = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Name;
        var candidates = new List<string>();
        if (RepoRoot() is { } root)
        {
            candidates.Add(Path.Combine(root, "src", "Api", "bin", Configuration, tfm, DllName));
        }

        candidates.Add(Path.Combine(AppContext.BaseDirectory, DllName));
        foreach (var dll in candidates)
        {
            var dir = Path.GetDirectoryName(dll)!;
            if (File.Exists(dll)
                && File.Exists(Path.Combine(dir, "Flexprice.Api.runtimeconfig.json"))
                && File.Exists(Path.Combine(dir, "appsettings.json")))
            {
                return dll;
            }
        }

        throw new FileNotFoundException(
            $"No built API ({Configuration}) found; looked at: {string.Join(", ", candidates)}. Build the solution first (dotnet build -c {Configuration}).");
    }
}
