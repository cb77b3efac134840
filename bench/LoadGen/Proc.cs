using System.Globalization;

namespace Flexprice.Bench;

/// <summary>CPU time and resident memory of processes, read from /proc (Linux).</summary>
public static class Proc
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every mainstream Linux

    /// <summary>
    /// CPU seconds (user + system) used so far by the process, or by it and its children
    /// (PostgreSQL's backends): the live ones, plus those that exited (the parent's cutime/cstime),
    /// so that a backend closing mid-phase does not take its CPU time with it.
    /// </summary>
    public static double CpuSeconds(int pid, bool withChildren = false)
    {
        var total = OwnCpuSeconds(pid);
        if (withChildren)
        {
            total += Stat(pid) is { } own ? (long.Parse(own[13], CultureInfo.InvariantCulture) + long.Parse(own[14], CultureInfo.InvariantCulture)) / TicksPerSecond : 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var child) && ParentOf(child) == pid)
                {
                    total += OwnCpuSeconds(child);
                }
            }
        }

        return total;
    }

    /// <summary>Resident set size in bytes, 0 when the process is gone.</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: split after its closing parenthesis.
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double OwnCpuSeconds(int pid) =>
        Stat(pid) is { } f ? (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond : 0;

    private static int ParentOf(int pid) => Stat(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : -1;
}
