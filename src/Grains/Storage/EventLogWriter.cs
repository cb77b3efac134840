using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meter = System.Diagnostics.Metrics.Meter;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flexprice.Grains.Storage;

/// <summary>How the per-silo event-log writer batches (configuration section <c>EventLogWriter</c>).</summary>
public sealed class EventLogWriterOptions
{
    /// <summary>Flushes in flight at once, each on its own connection: while one commits, the next fills.</summary>
    public int MaxConcurrentFlushes { get; set; } = 2;

    /// <summary>
    /// A flush takes waiting appends until it holds this many events (a single larger append still
    /// goes alone). Smaller flushes let a backlog go out over several connections at once (each
    /// PostgreSQL backend works on one core); larger ones share a commit among more events.
    /// </summary>
    public int MaxEventsPerFlush { get; set; } = 1_000;

    /// <summary>
    /// While a flush runs, another starts only when at least this many appends wait; fewer wait for
    /// the running flush to end and then go out together, so batches stay large under load.
    /// </summary>
    public int MinAppendsForConcurrentFlush { get; set; } = 200;
}

/// <summary>
/// Group commit: one writer per silo coalesces the appends of many customer grains into one
/// statement and one transaction per flush (<see cref="EventLogAppender.AppendBatchAsync"/>), so the cost of
/// a round trip and of a commit (the WAL flush) is shared by every grain waiting in that flush.
/// There is no timer: a flush starts as soon as something waits and no flush runs (or many appends
/// wait and a second flush slot is free), and what arrives while a flush is in flight waits for the
/// next one, so batches grow with load and an idle system answers at once.
/// <para>
/// A grain awaits its append before it handles its next call (grain calls are not reentrant), so
/// one activation has at most one append in the writer and its positions stay in order. Each
/// request is answered on its own (inserted, duplicates, conflict, collided, refused), and only after
/// the flush committed. Rows PostgreSQL refuses fail only their own request (see <see cref="WriteAsync"/>);
/// a transient fault fails every request of the flush, and none of them folds anything.
/// </para>
/// </summary>
public sealed class EventLogWriter : IAsyncDisposable
{
    /// <summary>The meter of the writer's instruments (<c>dotnet-counters monitor --counters Flexprice.EventLog</c>).</summary>
    public const string MeterName = "Flexprice.EventLog";

    private static readonly Meter Meter = new(MeterName);

    // One span per flush, linked to the spans of the grain calls whose appends it carries: a flush
    // serves many requests, so it belongs to none of their traces alone.
    private static readonly ActivitySource Source = new(MeterName);
    private static readonly Histogram<int> FlushEvents = Meter.CreateHistogram<int>("flexprice.eventlog.flush.events", "{event}", "Events written by one flush (one statement, one transaction)");
    private static readonly Histogram<int> FlushAppends = Meter.CreateHistogram<int>("flexprice.eventlog.flush.appends", "{append}", "Customer appends coalesced into one flush");
    private static readonly Histogram<double> FlushDuration = Meter.CreateHistogram<double>("flexprice.eventlog.flush.duration", "ms", "Time from a flush's start to its commit");
    private static readonly Counter<long> FlushFailures = Meter.CreateCounter<long>("flexprice.eventlog.flush.failures", "{flush}", "Flushes (or parts of one) that failed: a transient fault fails all of their appends, refused data only its own append");
    private static readonly Counter<long> FlushSplits = Meter.CreateCounter<long>("flexprice.eventlog.flush.splits", "{split}", "Failed flushes written again in halves to isolate the appends that fail");

    private readonly EventLogAppender _log;
    private readonly TimeProvider _time;
    private readonly ILogger<EventLogWriter> _logger;
    private readonly EventLogWriterOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _slots;
    private readonly Task _loop;
    private long _flushes;

    // A second append for a customer already in the flush being assembled (a second activation,
    // possible while membership settles) waits for the next flush: one group per customer.
    private List<Pending> _deferred = [];
    private readonly HashSet<(string, string)> _customersInFlush = [];
    private int _queued;

    public EventLogWriter(EventLogAppender log, TimeProvider time, IOptions<EventLogWriterOptions> options, ILogger<EventLogWriter> logger)
    {
        _log = log;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _slots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentFlushes));
        // On the thread pool, not on the scheduler of whichever grain first resolved the writer; and
        // without its execution context, so flushes do not join the trace of that grain's first call.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>Flushes done so far (for tests and metrics).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>
    /// Appends one customer's events after <see cref="AppendRequest.AfterSeq"/>, together with
    /// whatever other grains append meanwhile. Completes once committed; throws when the flush failed.
    /// </summary>
    public Task<AppendResult> AppendAsync(AppendRequest request)
    {
        var pending = new Pending(request);
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(EventLogWriter));
        }

        return pending.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        try
        {
            await LoopAsync();
        }
        catch (Exception ex)
        {
            // A bug here must not leave grains waiting forever: refuse new appends and fail the
            // waiting ones (503 to their clients).
            _logger.LogCritical(ex, "The event log writer stopped");
            _queue.Writer.TryComplete(ex);
            foreach (var pending in _deferred)
            {
                pending.Completion.TrySetException(ex);
            }

            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var inFlight = new List<Task>();
        while (_deferred.Count > 0 || await reader.WaitToReadAsync())
        {
            var running = inFlight.Where(t => !t.IsCompleted).ToList();
            if (running.Count > 0 && Volatile.Read(ref _queued) + _deferred.Count < _options.MinAppendsForConcurrentFlush)
            {
                await Task.WhenAny(running);
            }

            await _slots.WaitAsync();
            var batch = new List<Pending>();
            // One set for the loop's life, emptied for each flush (the loop is its only user).
            _customersInFlush.Clear();
            var events = 0;
            var carried = _deferred;
            _deferred = [];
            foreach (var pending in carried)
            {
                Take(pending);
            }

            while (events < _options.MaxEventsPerFlush && reader.TryRead(out var next))
            {
                Interlocked.Decrement(ref _queued);
                Take(next);
            }

            if (batch.Count == 0)
            {
                _slots.Release();
                continue;
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            inFlight.Add(FlushAsync(batch, events));

            void Take(Pending pending)
            {
                if (_customersInFlush.Add((pending.Request.TenantId, pending.Request.ExternalCustomerId)))
                {
                    batch.Add(pending);
                    events += pending.Request.Events.Count;
                }
                else
                {
                    _deferred.Add(pending);
                }
            }
        }

        await Task.WhenAll(inFlight);
    }

    private async Task FlushAsync(List<Pending> batch, int events)
    {
        using var activity = Source.HasListeners() ? StartFlushActivity(batch, events) : null;
        var started = _time.GetTimestamp();
        FlushEvents.Record(events);
        FlushAppends.Record(batch.Count);
        var answers = new List<(Pending Pending, AppendResult Result)>(batch.Count);
        try
        {
            await WriteAsync(batch, answers);
            FlushDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            Interlocked.Increment(ref _flushes);
            _slots.Release();
        }

        // Committed: the next flush may start while this one's answers go out, in slices (PoolSlices).
        for (var i = 0; i < answers.Count; i++)
        {
            await PoolSlices.BeforeAsync(i);
            answers[i].Pending.Completion.TrySetResult(answers[i].Result);
        }
    }

    /// <summary>
    /// Writes the appends in one statement and answers each. A failure tied to some rows (PostgreSQL
    /// refused a value) must not fail the others: the appends are split in halves, each written on
    /// its own, down to the appends that really fail, which are answered as refused; every other
    /// append commits. A transient fault (connection, timeout) fails the appends it met, for a retry.
    /// Committed appends are added to <paramref name="answers"/> (answered by the caller); failed ones are answered here.
    /// </summary>
    private async Task WriteAsync(List<Pending> batch, List<(Pending Pending, AppendResult Result)> answers)
    {
        try
        {
            var results = await _log.AppendBatchAsync([.. batch.Select(p => p.Request)], _time.GetUtcNow().UtcDateTime, CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
            {
                answers.Add((batch[i], results[i]));
            }
        }
        catch (Exception ex) when (!StorageFaults.IsTransient(ex) && batch.Count > 1)
        {
            // PostgreSQL refused the statement: nothing of it is stored, so each half may go again. (Were it ever
            // committed after all, each group's head has moved, and its half comes back collided: no row twice.)
            FlushSplits.Add(1);
            _logger.LogWarning(ex, "Event log flush of {Appends} appends failed for a reason other than a transient fault; writing it in halves", batch.Count);
            var half = batch.Count / 2;
            await WriteAsync(batch[..half], answers);
            await WriteAsync(batch[half..], answers);
        }
        catch (Exception ex) when (StorageFaults.IsDataError(ex))
        {
            // Validation at the door should have refused this: the gap is ours to close, the request is the client's to fix.
            FlushFailures.Add(1);
            var request = batch[0].Request;
            _logger.LogError(ex, "PostgreSQL refused the {Count} events of customer {Tenant}/{Customer}: a gap in validation at the door",
                request.Events.Count, request.TenantId, request.ExternalCustomerId);
            batch[0].Completion.TrySetResult(AppendResult.Refusal(StorageFaults.Describe(ex)));
        }
        catch (Exception ex)
        {
            FlushFailures.Add(1);
            Activity.Current?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _logger.LogWarning(ex, "Event log flush of {Appends} appends failed; failing all of them", batch.Count);
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private static Activity? StartFlushActivity(List<Pending> batch, int events)
    {
        var links = new List<ActivityLink>(batch.Count);
        foreach (var pending in batch)
        {
            if (pending.Caller != default)
            {
                links.Add(new ActivityLink(pending.Caller));
            }
        }

        var activity = Source.StartActivity("eventlog.flush", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("flexprice.eventlog.flush.events", events);
        activity?.SetTag("flexprice.eventlog.flush.appends", batch.Count);
        return activity;
    }

    private sealed class Pending(AppendRequest request)
    {
        public AppendRequest Request { get; } = request;

        /// <summary>The span of the grain call that appended (default when nothing traces).</summary>
        public ActivityContext Caller { get; } = Activity.Current?.Context ?? default;

        // Continuations run elsewhere than on the flush's thread, so one grain cannot hold up the answers to the others.
        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
