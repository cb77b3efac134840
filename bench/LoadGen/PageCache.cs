using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Flexprice.Bench;

/// <summary>
/// Writes the machine's dirty page cache to disk before a scenario (sync(2)), so that a scenario is not charged for
/// the writes of the one before it. Linux writes a dirty page back ~30 s after it was dirtied (vm.dirty_expire_centisecs);
/// PostgreSQL's table pages from a bulk scenario (hundreds of MB) went out in one burst two scenarios later, and while
/// the disk took it four commits in a row waited 23–32 ms each (bench/RESULTS.md, "The half-rate stalls, found").
/// The other side of it: a scenario (3 s of warm-up and 10 s) is shorter than those 30 s, so it sees none of its own
/// write-back either, which a server under sustained load pays all the time; `--soak` runs long enough to include it.
/// </summary>
public static class PageCache
{
    /// <summary>Flushes dirty pages; returns the dirty kB before and the time it took. A no-op off Linux.</summary>
    public static (long DirtyKb, TimeSpan Took) Settle()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (0, TimeSpan.Zero);
        }

        var dirty = Machine.MemInfoKb("Dirty") ?? 0;
        var started = Stopwatch.GetTimestamp();
        Sync();
        return (dirty, Stopwatch.GetElapsedTime(started));
    }

    // sync(2) takes no arguments and returns nothing: nothing to marshal, so a plain DllImport.
    [DllImport("libc", EntryPoint = "sync")]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for the whole project
    private static extern void Sync();
#pragma warning restore SYSLIB1054
}
