using System.Text;
using System.Threading.Channels;
using Flexprice.Client.Events;
using Microsoft.Extensions.Logging;

namespace Flexprice.Client.Sending;

/// <summary>
/// Fire-and-forget usage for services. <see cref="Track"/> gives the event a client-made ULID id and
/// a timestamp, queues it and returns at once; a background pump sends bulks of up to
/// <see cref="FlexpriceClientOptions.BatchSize"/> events, or whatever is queued once the oldest has
/// waited <see cref="FlexpriceClientOptions.FlushInterval"/>. A bulk that fails transiently (no answer,
/// 429, 5xx) is sent again, with the same ids, after the server's <c>Retry-After</c> or an exponential
/// backoff, for as long as it takes: the server counts a repeated id zero more times, so nothing is
/// lost or doubled across outages and restarts. Events the server refuses are set aside, the rest of
/// their bulk is sent again. Memory is bounded by <see cref="FlexpriceClientOptions.MaxBufferedEvents"/>
/// held events; when full, <c>Track</c> waits or drops (counted and logged, never silently).
/// <see cref="DisposeAsync"/> sends everything held (up to <see cref="FlexpriceClientOptions.ShutdownTimeout"/>).
/// </summary>
public sealed class FlexpriceSender : IAsyncDisposable, IDisposable
{
    private readonly Func<FlexpriceClient> _client;
    private readonly FlexpriceClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _room;
    private readonly SemaphoreSlim _bulkSlots;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _pump;
    private ITimer? _abandonTimer;
    private int _disposed;
    private long _tracked, _sent, _duplicates, _unreported, _dropped, _refused, _failed;
    private long _lastDropLog = long.MinValue;

    public FlexpriceSender(Func<FlexpriceClient> client, FlexpriceClientOptions options, TimeProvider time, ILogger<FlexpriceSender> log)
    {
        if (options.BatchSize is < 1 or > EventBatch.MaxEvents)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be 1 to {EventBatch.MaxEvents}");
        }

        _client = client;
        _options = options;
        _time = time;
        _log = log;
        _room = new SemaphoreSlim(options.MaxBufferedEvents, options.MaxBufferedEvents);
        _bulkSlots = new SemaphoreSlim(options.MaxConcurrentBulks, options.MaxConcurrentBulks);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Called (on a sender thread) for every event that will not be counted: dropped, refused or failed.</summary>
    public event Action<UndeliveredEvent>? Undelivered;

    public SenderStatistics Statistics
    {
        get
        {
            var tracked = Interlocked.Read(ref _tracked);
            var (sent, refused, failed) = (Interlocked.Read(ref _sent), Interlocked.Read(ref _refused), Interlocked.Read(ref _failed));
            return new SenderStatistics(tracked, sent, Interlocked.Read(ref _duplicates), Interlocked.Read(ref _unreported),
                Interlocked.Read(ref _dropped), refused, failed, tracked - sent - refused - failed);
        }
    }

    /// <summary>
    /// Queues the event and returns at once with its id. When the buffer is full: waits for room
    /// (<see cref="BufferFullMode.Wait"/>, blocking this thread) or drops the event and says so
    /// (<see cref="BufferFullMode.Drop"/>). The event is serialised now: later changes to its properties do not matter.
    /// </summary>
    public TrackedEvent Track(UsageEvent usage)
    {
        var (id, json) = Prepare(usage);
        if (!_room.Wait(0))
        {
            if (_options.WhenBufferFull == BufferFullMode.Drop)
            {
                Drop(id, json);
                return new TrackedEvent(id, Queued: false);
            }

            _room.Wait();
        }

        Enqueue(id, json);
        return new TrackedEvent(id, Queued: true);
    }

    /// <summary>Queues the event, waiting (asynchronously) for room when the buffer is full, whatever <see cref="FlexpriceClientOptions.WhenBufferFull"/> says.</summary>
    public async ValueTask<string> TrackAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        var (id, json) = Prepare(usage);
        await _room.WaitAsync(cancellationToken);
        Enqueue(id, json);
        return id;
    }

    /// <summary>Sends everything tracked before this call now, and returns when each of those events is acknowledged or given up.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(null, null, done)))
        {
            await _pump.WaitAsync(cancellationToken);
            return;
        }

        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking events and sends everything held; what is still unacknowledged after the shutdown timeout is counted as failed and logged.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Writer.TryComplete();
            _abandonTimer = _time.CreateTimer(_ => _abandon.Cancel(), null, _options.ShutdownTimeout, Timeout.InfiniteTimeSpan);
        }

        await _pump;
        if (_abandonTimer is not null)
        {
            await _abandonTimer.DisposeAsync();
        }

        var s = Statistics;
        _log.LogInformation(
            "Flexprice sender stopped: {Tracked} events tracked, {Sent} sent ({Duplicates} reported as duplicates), {Refused} refused, {Failed} failed, {Dropped} dropped",
            s.Tracked, s.Sent, s.Duplicates, s.Refused, s.Failed, s.Dropped);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private (string Id, byte[] Json) Prepare(UsageEvent usage)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var now = _time.GetUtcNow();
        var id = usage.EventId ?? EventIds.New(now);
        return (id, EventJson.Serialize(usage, id, usage.Timestamp ?? now));
    }

    private void Enqueue(string id, byte[] json)
    {
        if (!_queue.Writer.TryWrite(new Pending(id, json, null)))
        {
            _room.Release();
            throw new ObjectDisposedException(nameof(FlexpriceSender), "The sender is shutting down; the event was not queued");
        }

        Interlocked.Increment(ref _tracked);
    }

    private void Drop(string id, byte[] json)
    {
        var dropped = Interlocked.Increment(ref _dropped);
        // One warning per second at most, with the running count, so an overload does not flood the log.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1)) && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            _log.LogWarning("Flexprice sender buffer full ({MaxBufferedEvents} events): event {EventId} dropped; {Dropped} dropped so far", _options.MaxBufferedEvents, id, dropped);
        }

        Undelivered?.Invoke(new UndeliveredEvent(id, Encoding.UTF8.GetString(json), UndeliveredReason.Dropped, "buffer full"));
    }

    private async Task PumpAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.BatchSize);
        while (await reader.WaitToReadAsync())
        {
            long? deadline = null;
            while (true)
            {
                while (batch.Count < _options.BatchSize && reader.TryRead(out var item))
                {
                    if (item.Flushed is { } flushed)
                    {
                        await DispatchAsync(batch);
                        await AllSentAsync();
                        flushed.TrySetResult();
                        deadline = null;
                        continue;
                    }

                    batch.Add(item);
                    deadline ??= _time.GetTimestamp();
                }

                if (batch.Count == 0)
                {
                    break;
                }

                var waited = _time.GetElapsedTime(deadline!.Value);
                if (batch.Count >= _options.BatchSize || waited >= _options.FlushInterval)
                {
                    await DispatchAsync(batch);
                    deadline = null;
                    continue;
                }

                // A partial bulk: wait for more events, at most until the oldest has waited FlushInterval.
                using var wait = new CancellationTokenSource(_options.FlushInterval - waited, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested)
                {
                    // Time is up: the loop sends the partial bulk.
                }
            }
        }

        await DispatchAsync(batch);
        await AllSentAsync();
    }

    /// <summary>Starts sending the batch when a bulk slot is free (at most MaxConcurrentBulks in flight).</summary>
    private async Task DispatchAsync(List<Pending> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var events = batch.ToArray();
        batch.Clear();
        await _bulkSlots.WaitAsync();
        _ = Task.Run(async () =>
        {
            try
            {
                await SendAsync(events);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Flexprice sender: sending a bulk of {Count} events failed unexpectedly", events.Length);
                foreach (var e in events)
                {
                    GiveUp(e, UndeliveredReason.Failed, ex.Message, ref _failed);
                }
            }
            finally
            {
                _bulkSlots.Release();
            }
        });
    }

    private async Task AllSentAsync()
    {
        for (var i = 0; i < _options.MaxConcurrentBulks; i++)
        {
            await _bulkSlots.WaitAsync();
        }

        _bulkSlots.Release(_options.MaxConcurrentBulks);
    }

    /// <summary>Sends these events until each is acknowledged, refused, or given up (a key or URL refused; the shutdown timeout).</summary>
    private async Task SendAsync(Pending[] events)
    {
        var batch = new EventBatch();
        for (var i = 0; i < events.Length; i++)
        {
            batch.Add(events[i].Json!, i);
        }

        var outcomes = new BatchOutcomes(this, events);
        try
        {
            await new BulkDelivery(_client(), _time, _options.RetryDelay, _options.MaxRetryDelay).DeliverAsync(batch, outcomes, _abandon.Token);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            outcomes.GiveUpTheRest("not acknowledged before the shutdown timeout");
        }
        catch (FlexpriceApiException ex)
        {
            _log.LogError("Flexprice refused a bulk with {Status}: {Error}; its {Count} unsettled events are given up", (int)ex.StatusCode, ex.Error, outcomes.Unsettled);
            outcomes.GiveUpTheRest($"{(int)ex.StatusCode}: {ex.Error}");
        }
    }

    private void GiveUp(Pending e, UndeliveredReason reason, string error, ref long counter)
    {
        Interlocked.Increment(ref counter);
        _room.Release();
        _log.Log(reason == UndeliveredReason.Refused ? LogLevel.Warning : LogLevel.Error,
            "Flexprice event {EventId} {Reason}: {Error}", e.EventId, reason, error);
        Undelivered?.Invoke(new UndeliveredEvent(e.EventId!, Encoding.UTF8.GetString(e.Json!), reason, error));
    }

    /// <summary>Counts what happens to one bulk's events; each is settled once (sent, refused or failed).</summary>
    private sealed class BatchOutcomes(FlexpriceSender sender, Pending[] events) : IBulkOutcomes
    {
        private readonly bool[] _settled = new bool[events.Length];

        public int Unsettled => _settled.Count(s => !s);

        public void Accepted(EventBatch part, int? duplicates)
        {
            for (var i = 0; i < part.Count; i++)
            {
                _settled[part.TagAt(i)] = true;
            }

            Interlocked.Add(ref sender._sent, part.Count);
            if (duplicates is { } d)
            {
                Interlocked.Add(ref sender._duplicates, d);
            }
            else
            {
                Interlocked.Add(ref sender._unreported, part.Count);
            }

            sender._room.Release(part.Count);
        }

        public void Refused(EventBatch part, int index, string error, int status)
        {
            var tag = part.TagAt(index);
            _settled[tag] = true;
            sender.GiveUp(events[tag], UndeliveredReason.Refused, error, ref sender._refused);
        }

        public void Retrying(SendResult result, int attempt, TimeSpan delay) =>
            sender._log.Log(attempt > 3 ? LogLevel.Warning : LogLevel.Debug,
                "Flexprice bulk not acknowledged ({Status}: {Error}); attempt {Attempt}, next in {Delay}", result.StatusCode, result.Error, attempt, delay);

        public void GiveUpTheRest(string error)
        {
            for (var i = 0; i < events.Length; i++)
            {
                if (!_settled[i])
                {
                    _settled[i] = true;
                    sender.GiveUp(events[i], UndeliveredReason.Failed, error, ref sender._failed);
                }
            }
        }
    }

    /// <summary>A queued event, or (with <see cref="Flushed"/>) a flush request.</summary>
    private readonly record struct Pending(string? EventId, byte[]? Json, TaskCompletionSource? Flushed);
}
