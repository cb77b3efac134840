using System.Collections.Concurrent;
using System.Collections.Immutable;
using Flexprice.Grains;

namespace Flexprice.Api.Events;

/// <summary>
/// One lane per customer on this API node: while a customer's grain call is in flight, the requests for that customer
/// that arrive meanwhile wait here, and go to the grain together in the next call (<see cref="ICustomerGrain.IngestMany"/>),
/// each still all-or-nothing and answered on its own, in arrival order. So a hot customer's requests share appends and
/// commits instead of queueing one commit each behind the grain's await. An idle lane sends at once.
/// </summary>
public sealed class CustomerLanes
{
    /// <summary>The most events one call carries; what is left waits for the next.</summary>
    public const int MaxEventsPerCall = 2_000;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public Task<IngestResult> SendAsync(string grainKey, ICustomerGrain grain, IngestBatch batch) =>
        TryEnter(grainKey, grain, batch, out var lane, out var queued) ? SendFirstAsync(grainKey, lane, batch) : queued;

    /// <summary>
    /// Enters the customer's lane. True: the lane was idle and the caller sends <paramref name="batch"/> itself, at once, and
    /// then calls <see cref="Leave"/> (whatever became of its call) to send what arrived meanwhile. False: the lane is busy;
    /// the batch waits and <paramref name="queued"/> is its answer. (What <see cref="SendAsync"/> does, for a caller that
    /// awaits the grain itself: one async layer less on the path of every single event.)
    /// </summary>
    internal bool TryEnter(string grainKey, ICustomerGrain grain, IngestBatch batch, out Lane lane, out Task<IngestResult> queued)
    {
        while (true)
        {
            lane = _lanes.GetOrAdd(grainKey, static (_, g) => new Lane(g), grain);
            lock (lane)
            {
                if (lane.Closed)
                {
                    // Removed between the lookup and the lock: take a fresh one.
                    continue;
                }

                if (lane.Busy)
                {
                    var waiter = new Waiter(batch);
                    lane.Waiting.Add(waiter);
                    queued = waiter.Completion.Task;
                    return false;
                }

                lane.Busy = true;
                queued = null!;
                return true;
            }
        }
    }

    /// <summary>
    /// After the call of a caller that entered an idle lane (<see cref="TryEnter"/> answered true): sends what arrived
    /// meanwhile, or closes the lane. Exactly once per such entry, never after a false answer: a second pump would put two
    /// calls of one customer in flight.
    /// </summary>
    internal void Leave(string grainKey, Lane lane) => _ = PumpAsync(grainKey, lane);

    private async Task<IngestResult> SendFirstAsync(string grainKey, Lane lane, IngestBatch batch)
    {
        try
        {
            // IngestMany, not Ingest: Ingest is IngestMany of one, awaited inside the grain, so calling it would cost one
            // more async layer (and its continuation on the grain's scheduler) per request.
            return (await lane.Grain.IngestMany([batch]))[0];
        }
        finally
        {
            Leave(grainKey, lane);
        }
    }

    private async Task PumpAsync(string grainKey, Lane lane)
    {
        while (true)
        {
            List<Waiter> calls;
            lock (lane)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Busy = false;
                    lane.Closed = true;
                    _lanes.TryRemove(KeyValuePair.Create(grainKey, lane));
                    return;
                }

                var take = 0;
                var events = 0;
                while (take < lane.Waiting.Count && (take == 0 || events + lane.Waiting[take].Batch.Events.Length <= MaxEventsPerCall))
                {
                    events += lane.Waiting[take].Batch.Events.Length;
                    take++;
                }

                calls = lane.Waiting.GetRange(0, take);
                lane.Waiting.RemoveRange(0, take);
            }

            try
            {
                var results = await lane.Grain.IngestMany([.. calls.Select(c => c.Batch)]);
                for (var i = 0; i < calls.Count; i++)
                {
                    calls[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var call in calls)
                {
                    call.Completion.TrySetException(ex);
                }
            }
        }
    }

    internal sealed class Lane(ICustomerGrain grain)
    {
        public ICustomerGrain Grain { get; } = grain;

        public List<Waiter> Waiting { get; } = [];

        public bool Busy { get; set; }

        public bool Closed { get; set; }
    }

    internal sealed class Waiter(IngestBatch batch)
    {
        public IngestBatch Batch { get; } = batch;

        // Continuations run elsewhere than on the pump, so one request's answer cannot hold up the next call.
        public TaskCompletionSource<IngestResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
