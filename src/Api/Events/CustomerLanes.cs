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

    public Task<IngestResult> SendAsync(string grainKey, ICustomerGrain grain, IngestBatch batch)
    {
        while (true)
        {
            var lane = _lanes.GetOrAdd(grainKey, static (_, g) => new Lane(g), grain);
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
                    return waiter.Completion.Task;
                }

                lane.Busy = true;
            }

            // An idle lane: this request goes at once, itself, and then sends what arrived meanwhile.
            return SendFirstAsync(grainKey, lane, batch);
        }
    }

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
            _ = PumpAsync(grainKey, lane);
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

    private sealed class Lane(ICustomerGrain grain)
    {
        public ICustomerGrain Grain { get; } = grain;

        public List<Waiter> Waiting { get; } = [];

        public bool Busy { get; set; }

        public bool Closed { get; set; }
    }

    private sealed class Waiter(IngestBatch batch)
    {
        public IngestBatch Batch { get; } = batch;

        // Continuations run elsewhere than on the pump, so one request's answer cannot hold up the next call.
        public TaskCompletionSource<IngestResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
