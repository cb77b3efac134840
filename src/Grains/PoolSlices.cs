namespace Flexprice.Grains;

/// <summary>
/// Long fan-outs on the ingest path (a bulk's grain calls, a flush's answers) go out in slices, each slice queued behind
/// whatever waits for the thread pool. Orleans queues a grain call's work, and a resumed grain's, on the calling
/// thread's own queue, which a pool thread empties before it looks at the shared queue where a new HTTP request
/// waits: 950 calls (or 600 answers) sent at once held a usage query arriving meanwhile behind all of them
/// (bench/RESULTS.md: query p99 during bulk 7.7–7.8 → 5.2–6.2 ms).
/// </summary>
public static class PoolSlices
{
    public const int Size = 32;

    /// <summary>
    /// Awaited before item <paramref name="index"/> of a fan-out: at the start of each slice after the first, the
    /// rest of the fan-out goes to the back of the shared queue (<see cref="Task.Yield"/>), so what arrived meanwhile
    /// runs first; otherwise it completes at once.
    /// </summary>
    public static async ValueTask BeforeAsync(int index)
    {
        if (index > 0 && index % Size == 0)
        {
            await Task.Yield();
        }
    }
}
