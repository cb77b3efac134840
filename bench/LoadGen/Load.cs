using System.Diagnostics;

namespace Flexprice.Bench;

/// <summary>One request to send, and what to do with its answer (count what was acknowledged).</summary>
public readonly record struct Shot(byte[] Bytes, int Events, Action<int>? OnStatus);

/// <summary>What one load phase measured.</summary>
public sealed class LoadResult
{
    public double Seconds { get; init; }

    /// <summary>When the phase began (wall clock, UTC): a timeline's slices can be laid next to other logs.</summary>
    public DateTime StartedUtc { get; init; }

    /// <summary>This generator's own GC during the phase: pause time and gen-2 collections (a stall of its own, not the server's).</summary>
    public (double PauseMs, int Gen2) GeneratorGc { get; init; }

    public long RequestCount { get; init; }
    public long Events { get; init; }
    public long Refused { get; init; }
    public long Failed { get; init; }
    public required double[] LatenciesMs { get; init; }

    /// <summary>Every request: when it was due (ms after the phase began) and how long it took; in no particular order.</summary>
    public required (double AtMs, double LatencyMs)[] Requests { get; init; }

    public double EventsPerSecond => Events / Seconds;
    public double RequestsPerSecond => RequestCount / Seconds;

    public double Percentile(double p) => LatenciesMs.Length == 0 ? double.NaN : LatenciesMs[Math.Min(LatenciesMs.Length - 1, (int)(p * LatenciesMs.Length))];

    /// <summary>
    /// Where the slow requests were: the 100 ms slices of the phase (by when each request was due)
    /// holding requests slower than <paramref name="thresholdMs"/>, with their count and the worst.
    /// A stall shows as a run of consecutive slices; scattered single requests as isolated ones.
    /// </summary>
    public IEnumerable<(double FromSeconds, int Slow, double WorstMs)> SlowSlices(double thresholdMs) =>
        Requests
            .Where(r => r.LatencyMs > thresholdMs)
            .GroupBy(r => (int)(r.AtMs / 100))
            .OrderBy(g => g.Key)
            .Select(g => (g.Key / 10.0, g.Count(), g.Max(r => r.LatencyMs)));
}

/// <summary>
/// Drives a server from many keep-alive connections for a fixed time. Closed loop (each connection
/// sends its next request when the last is answered) or, with a rate, open loop: requests are due at
/// fixed times and latency counts from when a request was due whenever its connection was still busy
/// with the previous one then, so a stalled server is not hidden by a generator that politely waits
/// (coordinated omission). A request due on an idle connection counts from when it was written: a late
/// timer or a busy generator is the generator's delay, not the server's. With <c>ownThreads</c> each
/// connection runs on a thread of its own with blocking sockets, so that a response is timed when it
/// arrives, not when the generator's thread pool (busy building bulk bodies) gets to it: for the usage
/// queries, whose target is a few milliseconds. Not for the 64 connections of the single-event phases:
/// a thread waking per request costs the generator ~0.2 cores more, taken from the server it measures.
/// </summary>
public static class Load
{
    public static async Task<LoadResult> RunAsync(Uri server, int connections, TimeSpan duration, double? ratePerSecond, Func<int, Shot> next, CancellationToken stop = default, bool ownThreads = false)
    {
        var latencies = new List<(double AtMs, double LatencyMs)>[connections];
        long requests = 0, events = 0, refused = 0, failed = 0;
        // Every connection is open, and has carried one request, before the clock starts: with a rate, the first
        // requests are due from then on, so opening 64 connections at once (and the server's first request on each)
        // is not counted as the first requests' latency; real clients keep their connections open.
        var connections0 = await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            var connection = await RawHttpConnection.ConnectAsync(server);
            await connection.SendAsync(System.Text.Encoding.ASCII.GetBytes($"GET /health/ready HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n"));
            return connection;
        }));
        var startedUtc = DateTime.UtcNow;
        var gcPause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // On threads of their own, the connections' awaits all complete at once (blocking I/O).
        var workers = Enumerable.Range(0, connections).Select(worker => ownThreads ? OnThread(() => Work(worker).GetAwaiter().GetResult()) : Work(worker)).ToArray();
        async Task Work(int worker)
        {
            var mine = latencies[worker] = new List<(double, double)>(4096);
            var connection = connections0[worker];
            try
            {
                // Open loop: this connection's share of the rate, first shots staggered over one interval.
                var interval = ratePerSecond is { } rate ? Stopwatch.Frequency * connections / rate : 0;
                var due = started + (long)(interval * worker / connections);
                var idleSince = started;
                while (!stop.IsCancellationRequested)
                {
                    if (interval > 0)
                    {
                        var wait = due - Stopwatch.GetTimestamp();
                        if (wait > Stopwatch.Frequency / 1000)
                        {
                            var pause = TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency);
                            if (ownThreads)
                            {
                                Thread.Sleep(pause);
                            }
                            else
                            {
                                await Task.Delay(pause, stop).ConfigureAwait(false);
                            }
                        }
                    }

                    if ((interval > 0 ? due : Stopwatch.GetTimestamp()) >= end)
                    {
                        break;
                    }

                    var shot = next(worker);
                    var written = Stopwatch.GetTimestamp();
                    // Due while the connection still waited for its previous answer: from when it was due (the
                    // server's delay); due on an idle connection: from when it was written (after this generator's own).
                    var sentAt = interval > 0 && idleSince > due ? due : written;
                    int status;
                    try
                    {
                        status = ownThreads ? connection.Send(shot.Bytes) : await connection.SendAsync(shot.Bytes);
                    }
                    catch (IOException)
                    {
                        Interlocked.Increment(ref failed);
                        await connection.DisposeAsync();
                        connection = ownThreads ? RawHttpConnection.Connect(server) : await RawHttpConnection.ConnectAsync(server);
                        idleSince = Stopwatch.GetTimestamp();
                        continue;
                    }

                    idleSince = Stopwatch.GetTimestamp();

                    mine.Add(((sentAt - started) * 1000.0 / Stopwatch.Frequency, Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds));
                    Interlocked.Increment(ref requests);
                    shot.OnStatus?.Invoke(status);
                    if (status == 202 || status == 200)
                    {
                        Interlocked.Add(ref events, shot.Events);
                    }
                    else
                    {
                        Interlocked.Increment(ref refused);
                    }

                    due += (long)interval;
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }

        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var gc = ((GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds, GC.CollectionCount(2) - gen2);
        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToArray();
        var sorted = all.Select(r => r.LatencyMs).ToArray();
        Array.Sort(sorted);
        return new LoadResult { StartedUtc = startedUtc, GeneratorGc = gc, Seconds = seconds, RequestCount = requests, Events = events, Refused = refused, Failed = failed, LatenciesMs = sorted, Requests = all };
    }

    /// <summary>Runs <paramref name="body"/> on a thread of its own; the task ends with it.</summary>
    private static Task OnThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }) { IsBackground = true, Name = "open-loop connection" }.Start();
        return done.Task;
    }
}
