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

    /// <summary>Whether item <paramref name="index"/> starts a new slice: the caller awaits <see cref="Task.Yield"/> first.</summary>
    public static bool Starts(int index) => index > 0 && index % Size == 0;
}
