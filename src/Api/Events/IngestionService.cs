using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;

namespace Flexprice.Api.Events;

/// <summary>What became of one event of a request, as a bulk's partial answer lists it.</summary>
public static class IngestStatus
{
    public const string Stored = "stored";
    public const string Duplicate = "duplicate";
    public const string Conflict = "conflict";
    public const string Refused = "refused";
    public const string CustomerNotFound = "customer_not_found";

    /// <summary>Its customer's part failed for a passing fault: it may or may not be stored; a retry with the same ids settles it.</summary>
    public const string Unknown = "unknown";

    /// <summary>Its customer's part was not stored because another event of that part was refused.</summary>
    public const string NotStored = "not_stored";
}

/// <summary>
/// The verdict on a request's events: accepted (all stored or already stored), or refused with per-index
/// errors. <see cref="Statuses"/> says what became of each event, by index. <see cref="Partial"/>: some
/// customers' parts were stored although others were refused or failed (possible only for a bulk spanning
/// customers, when a conflict or a fault shows up at commit time): the answer must list the outcomes.
/// <see cref="Unavailable"/>: a part failed for a passing fault (the answer is 503).
/// </summary>
public sealed record IngestVerdict(IReadOnlyList<IndexedError> Errors, bool ConflictsOnly, IReadOnlyList<string> Statuses, bool Partial, bool Unavailable)
{
    public bool IsAccepted => Errors.Count == 0;

    public int Duplicates => Statuses.Count(s => s == IngestStatus.Duplicate);
}

/// <summary>
/// Routes validated events to their customers' grains. A request is all-or-nothing as far as it can be: when
/// it spans several customers, every part that could be refused (customer not known to exist, a named event
/// id, a customer id to check) is checked first, and only when all agree does each grain commit its part.
/// A conflict that appears only at commit time (another request raced), or a fault in one part, can still
/// leave other parts stored: the verdict then says so, event by event.
/// </summary>
public sealed class IngestionService(GrainRefs grains, CustomerLanes lanes, IngestionMetrics metrics)
{
    // Customers seen to exist, by grain key. Customers are never deleted (there is no route for
    // it), so once seen a customer stays known; should deletion come, this must be invalidated.
    // Bounded: when full it starts over, which costs only some Check calls.
    private readonly ClearingCache<string, bool> _knownCustomers = new(1_000_000);

    // Each customer's grain key and grain, by tenant and external id: the key's text and the reference are made once per
    // customer, not for every request, and found with one lookup (bounded like GrainRefs).
    private readonly ClearingCache<(string TenantId, string ExternalCustomerId), (string Key, ICustomerGrain Grain)> _customers = new(100_000);

    public Task<IngestVerdict> IngestAsync(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events) =>
        events.Count == 1 ? IngestOneAsync(tenantId, catalogVersion, events[0]) : IngestManyAsync(tenantId, catalogVersion, events);

    /// <summary>
    /// The single event: what <see cref="IngestManyAsync"/> does for one part, without its lists, and with the grain awaited
    /// here rather than in the lane (<see cref="CustomerLanes.TryEnter"/>): this is the path of every single-event request.
    /// </summary>
    private async Task<IngestVerdict> IngestOneAsync(string tenantId, long catalogVersion, ParsedEvent e)
    {
        var (key, grain) = Customer(tenantId, e.ExternalCustomerId);
        var batch = new IngestBatch(catalogVersion, [e.Event]);
        IngestResult result;
        if (lanes.TryEnter(key, grain, batch, out var lane, out var queued))
        {
            try
            {
                result = (await grain.IngestMany([batch]))[0];
            }
            finally
            {
                lanes.Leave(key, lane);
            }
        }
        else
        {
            result = await queued;
        }

        if (result.Unavailable is { } reason)
        {
            throw new StorageUnavailableException(reason);
        }

        if (result.CustomerFound)
        {
            _knownCustomers.Add(key, true);
        }

        // The usual answers are the same for every request: shared, not made anew.
        var verdict = result is { CustomerFound: true, Refused: null } && result.Outcomes.Length == 1
            ? result.Outcomes[0] switch
            {
                EventOutcome.Accepted => StoredOne,
                EventOutcome.Duplicate => DuplicateOne,
                _ => null,
            }
            : null;
        verdict ??= Verdict([new CustomerPart(e.ExternalCustomerId, key, grain, OnlyIndex, batch)], [result], 1);
        Measure(verdict);
        return verdict;
    }

    private static readonly IngestVerdict StoredOne = new([], false, ImmutableArray.Create(IngestStatus.Stored), false, false);
    private static readonly IngestVerdict DuplicateOne = new([], false, ImmutableArray.Create(IngestStatus.Duplicate), false, false);

    private async Task<IngestVerdict> IngestManyAsync(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events)
    {
        var groups = Parts(tenantId, catalogVersion, events);
        if (groups.Count > 1)
        {
            // A part can be refused only when its customer is not known to exist, it names an event id (a
            // server-made id is new, so it cannot conflict) or a customer id: only such parts are checked
            // first. For the usual bulk (known customers, server-made ids) that halves the grain calls.
            var doubtful = groups.Where(g => !_knownCustomers.ContainsKey(g.GrainKey) || g.Batch.Events.Any(e => e.EventIdGiven || e.CustomerId is not null)).ToList();
            if (doubtful.Count > 0)
            {
                var checks = await Task.WhenAll(doubtful.Select(g => g.Grain.Check(g.Batch)));
                Remember(doubtful, checks);
                var refused = Verdict(doubtful, [.. checks], events.Count);
                if (!refused.IsAccepted)
                {
                    refused = refused with { Statuses = [.. refused.Statuses.Select(s => s == IngestStatus.Stored ? IngestStatus.NotStored : s)], Partial = false };
                    Measure(refused);
                    return refused;
                }
            }
        }

        IngestResult?[] results;
        Task<IngestResult>[]? calls = null;
        if (groups.Count == 1)
        {
            // A bulk for one customer: one call, awaited as it is.
            var only = await lanes.SendAsync(groups[0].GrainKey, groups[0].Grain, groups[0].Batch);
            if (only.Unavailable is { } reason)
            {
                throw new StorageUnavailableException(reason);
            }

            results = [only];
        }
        else
        {
            calls = new Task<IngestResult>[groups.Count];
            for (var g = 0; g < groups.Count; g++)
            {
                await PoolSlices.BeforeAsync(g);
                calls[g] = lanes.SendAsync(groups[g].GrainKey, groups[g].Grain, groups[g].Batch);
            }

            try
            {
                await Task.WhenAll(calls);
            }
            catch when (calls.Any(c => c.IsCompletedSuccessfully) && calls.Where(c => c.IsFaulted).All(c => TransientFaults.IsTransient(c.Exception)))
            {
                // Some parts were answered, the others met a passing fault: the verdict tells which is which.
            }

            // A part the grain could not store for a passing fault (after others of its call were stored) is a failed part.
            results = [.. calls.Select(c => c.IsCompletedSuccessfully && c.Result.Unavailable is null ? c.Result : null)];
            if (results.All(r => r is null) && calls.All(c => c.IsCompletedSuccessfully))
            {
                throw new StorageUnavailableException(calls[0].Result.Unavailable!);
            }
        }

        Remember(groups, results);
        var verdict = Verdict(groups, results, events.Count);
        Measure(verdict);
        if (verdict.Unavailable && !verdict.Partial && calls is not null)
        {
            // Nothing of it stored by this request: the plain 503.
            await Task.WhenAll(calls);
        }

        return verdict;
    }

    /// <summary>Stored and duplicate events of an accepted request (stored ones of a partly stored one too); conflicting events of a refused one.</summary>
    private void Measure(IngestVerdict verdict)
    {
        int stored = 0, duplicate = 0, conflict = 0;
        // By index: a foreach over the interface would make an enumerator for every request.
        for (var i = 0; i < verdict.Statuses.Count; i++)
        {
            switch (verdict.Statuses[i])
            {
                case IngestStatus.Stored: stored++; break;
                case IngestStatus.Duplicate: duplicate++; break;
                case IngestStatus.Conflict: conflict++; break;
            }
        }

        if (verdict.IsAccepted)
        {
            metrics.Accepted(stored, duplicate);
            return;
        }

        if (stored > 0)
        {
            metrics.Accepted(stored, 0);
        }

        metrics.Conflicts(conflict);
    }

    /// <summary>The request's events by customer, in order of first appearance.</summary>
    private List<CustomerPart> Parts(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events)
    {
        var first = events[0].ExternalCustomerId;
        var oneCustomer = true;
        for (var i = 1; i < events.Count && oneCustomer; i++)
        {
            oneCustomer = string.Equals(events[i].ExternalCustomerId, first, StringComparison.Ordinal);
        }

        if (oneCustomer)
        {
            // Bulks for one customer: no grouping.
            var (key, grain) = Customer(tenantId, first);
            var batch = new IngestEvent[events.Count];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = events[i].Event;
            }

            return [new CustomerPart(first, key, grain, [.. Enumerable.Range(0, events.Count)], new IngestBatch(catalogVersion, ImmutableCollectionsMarshal.AsImmutableArray(batch)))];
        }

        return ByCustomer(tenantId, catalogVersion, events);
    }

    private (string Key, ICustomerGrain Grain) Customer(string tenantId, string externalCustomerId)
    {
        if (!_customers.TryGet((tenantId, externalCustomerId), out var customer))
        {
            var key = CustomerKey.For(tenantId, externalCustomerId);
            customer = (key, grains.Get<ICustomerGrain>(key));
            _customers.Add((tenantId, externalCustomerId), customer);
        }

        return customer;
    }

    /// <summary>The events of a request that spans customers, grouped (the lambdas' captures are made only here).</summary>
    private List<CustomerPart> ByCustomer(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events) =>
        [.. events
            .Select((e, index) => (e, index))
            .GroupBy(x => x.e.ExternalCustomerId, StringComparer.Ordinal)
            .Select(g =>
            {
                var (key, grain) = Customer(tenantId, g.Key);
                return new CustomerPart(
                    g.Key,
                    key,
                    grain,
                    [.. g.Select(x => x.index)],
                    new IngestBatch(catalogVersion, [.. g.Select(x => x.e.Event)]));
            })];

    private static readonly ImmutableArray<int> OnlyIndex = [0];

    private void Remember(List<CustomerPart> groups, IngestResult?[] results)
    {
        for (var g = 0; g < groups.Count; g++)
        {
            if (results[g] is { CustomerFound: true })
            {
                _knownCustomers.Add(groups[g].GrainKey, true);
            }
        }
    }

    /// <param name="results">Per part: its answer, or null when the call failed (a passing fault).</param>
    private static IngestVerdict Verdict(List<CustomerPart> groups, IngestResult?[] results, int count)
    {
        var errors = new List<IndexedError>();
        var statuses = new string[count];
        var conflictsOnly = true;
        var stored = false;
        var unavailable = false;
        for (var g = 0; g < groups.Count; g++)
        {
            var part = groups[g];
            var result = results[g];
            for (var k = 0; k < part.Indexes.Length; k++)
            {
                var index = part.Indexes[k];
                if (result is null)
                {
                    conflictsOnly = false;
                    unavailable = true;
                    statuses[index] = IngestStatus.Unknown;
                    errors.Add(new IndexedError(index, ErrorMessages.StorageUnavailable));
                }
                else if (!result.CustomerFound)
                {
                    conflictsOnly = false;
                    statuses[index] = IngestStatus.CustomerNotFound;
                    errors.Add(new IndexedError(index, ErrorMessages.CustomerNotFound(part.ExternalCustomerId)));
                }
                else
                {
                    switch (result.Outcomes[k])
                    {
                        case EventOutcome.Refused:
                            conflictsOnly = false;
                            statuses[index] = IngestStatus.Refused;
                            errors.Add(new IndexedError(index, ErrorMessages.Refused(result.Refused)));
                            break;
                        case EventOutcome.Conflict:
                            statuses[index] = IngestStatus.Conflict;
                            errors.Add(new IndexedError(index, ErrorMessages.Conflict(part.Batch.Events[k].EventId)));
                            break;
                        case EventOutcome.Duplicate:
                            statuses[index] = IngestStatus.Duplicate;
                            break;
                        default:
                            // Accepted, unless its part was refused as a whole (then nothing of the part was stored).
                            var partRefused = result.Refused is not null || result.HasConflicts;
                            statuses[index] = partRefused ? IngestStatus.NotStored : IngestStatus.Stored;
                            stored |= !partRefused;
                            break;
                    }
                }
            }
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new IngestVerdict(errors, conflictsOnly && errors.Count > 0, statuses, Partial: errors.Count > 0 && stored, unavailable);
    }

    private sealed record CustomerPart(string ExternalCustomerId, string GrainKey, ICustomerGrain Grain, ImmutableArray<int> Indexes, IngestBatch Batch);
}
