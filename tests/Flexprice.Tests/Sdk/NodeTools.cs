using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using Flexprice.Tests.Durability;

namespace Flexprice.Tests.Sdk;

/// <summary>What a finished child process said.</summary>
public sealed record ProcessOutput(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Node.js and npm for the SDK conformance test: checks that they are there (failing with what to install when not),
/// and installs the test's pinned packages (<c>tests/sdk-conformance</c>, lockfile committed) with <c>npm ci</c> into the
/// repository's git-ignored <c>.data/sdk-conformance</c>, once per lockfile: a later run with the same lockfile reuses it.
/// </summary>
public static class NodeTools
{
    public const string SourceFolder = "tests/sdk-conformance";
    public const int MinimumNodeMajor = 18;

    private static readonly string[] Files = ["package.json", "package-lock.json", "conformance.mjs"];

    private static string Missing(string what) =>
        $"The SDK conformance test needs {what} on PATH: install Node.js {MinimumNodeMajor} or later with npm "
        + "(Debian/Ubuntu: apt-get install nodejs npm; elsewhere: https://nodejs.org/en/download), then run scripts/test again.";

    /// <summary>Fails, naming what to install, unless node (18 or later) and npm run.</summary>
    public static async Task RequireAsync()
    {
        var node = await TryRunAsync("node", ["--version"], Environment.CurrentDirectory, TimeSpan.FromSeconds(30));
        if (node is not { ExitCode: 0 })
        {
            throw new InvalidOperationException(Missing("node"));
        }

        var version = node.StandardOutput.Trim().TrimStart('v');
        if (!int.TryParse(version.Split('.')[0], out var major) || major < MinimumNodeMajor)
        {
            throw new InvalidOperationException(Missing($"a newer node (found {version})"));
        }

        if (await TryRunAsync("npm", ["--version"], Environment.CurrentDirectory, TimeSpan.FromSeconds(60)) is not { ExitCode: 0 })
        {
            throw new InvalidOperationException(Missing("npm"));
        }
    }

    /// <summary>The folder holding the script and its installed packages, installing them when the lockfile changed.</summary>
    public static async Task<string> InstallAsync()
    {
        var root = ApiBinary.RepoRoot() ?? throw new InvalidOperationException("The repository (Flexprice.Orleans.sln) was not found above the test binaries.");
        var source = Path.Combine(root, SourceFolder);
        var target = Path.Combine(root, ".data", "sdk-conformance");
        Directory.CreateDirectory(target);
        foreach (var file in Files)
        {
            File.Copy(Path.Combine(source, file), Path.Combine(target, file), overwrite: true);
        }

        var stamp = Path.Combine(target, ".installed-lock.sha256");
        var wanted = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(source, "package-lock.json"))));
        var installed = File.Exists(stamp) ? (await File.ReadAllTextAsync(stamp)).Trim() : "";
        if (installed != wanted || !File.Exists(Path.Combine(target, "node_modules", "@flexprice", "sdk", "package.json")))
        {
            var npm = await TryRunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], target, TimeSpan.FromMinutes(5))
                ?? throw new InvalidOperationException(Missing("npm"));
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"npm ci in {target} failed (exit {npm.ExitCode}): is the npm registry reachable?\n{npm.StandardOutput}\n{npm.StandardError}");
            }

            await File.WriteAllTextAsync(stamp, wanted);
        }

        return target;
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>); null when it cannot be started (not installed).</summary>
    public static async Task<ProcessOutput?> TryRunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return null;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s:\n{await stdout}\n{await stderr}");
            }

            return new ProcessOutput(process.ExitCode, await stdout, await stderr);
        }
    }
}
