using System.Collections.Immutable;
using Flexprice.Api.Contracts;
using Flexprice.Api.Infrastructure;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;

namespace Flexprice.Api.Ingestion;

/// <summary>The verdict on a request's events: accepted (all stored or already stored), or refused with per-index errors and nothing stored.</summary>
public sealed record IngestVerdict(IReadOnlyList<IndexedError> Errors, bool ConflictsOnly)
{
    public static readonly IngestVerdict Accepted = new([], false);

    public bool IsAccepted => Errors.Count == 0;
}

/// <summary>
/// Routes validated events to their customers' grains. A request is all-or-nothing: when it spans
/// several customers, every grain whose part could be refused first checks it (customer known, no
/// conflicting event id), and only when all agree does each grain commit its part.
/// </summary>
public sealed class IngestionService(GrainRefs grains, IngestionMetrics metrics)
{
    // Customers seen to exist, by grain key. Customers are never deleted (there is no route for
    // it), so once seen a customer stays known; should deletion come, this must be invalidated.
    // Bounded: when full it starts over, which costs only some Check calls.
    private readonly ClearingCache<string, bool> _knownCustomers = new(1_000_000);

    public async Task<IngestVerdict> IngestAsync(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events)
    {
        var groups = events
            .Select((e, index) => (e, index))
            .GroupBy(x => x.e.ExternalCustomerId, StringComparer.Ordinal)
            .Select(g =>
            {
                var key = CustomerKey.For(tenantId, g.Key);
                return new CustomerPart(
                    g.Key,
                    key,
                    grains.Get<ICustomerGrain>(key),
                    [.. g.Select(x => x.index)],
                    new IngestBatch(catalogVersion, [.. g.Select(x => x.e.Event)]));
            })
            .ToList();

        if (groups.Count > 1)
        {
            // A part can be refused only when its customer is not known to exist or it names an
            // event id (a server-made id is new, so it cannot conflict): only such parts are checked
            // first. For the usual bulk (known customers, server-made ids) that halves the grain calls.
            var doubtful = groups.Where(g => !_knownCustomers.ContainsKey(g.GrainKey) || g.Batch.Events.Any(e => e.EventIdGiven)).ToList();
            if (doubtful.Count > 0)
            {
                var checks = await Task.WhenAll(doubtful.Select(g => g.Grain.Check(g.Batch)));
                Remember(doubtful, checks);
                var refused = Verdict(doubtful, checks);
                if (!refused.IsAccepted)
                {
                    Measure(doubtful, checks, refused);
                    return refused;
                }
            }
        }

        var results = await Task.WhenAll(groups.Select(g => g.Grain.Ingest(g.Batch)));
        Remember(groups, results);
        var verdict = Verdict(groups, results);
        Measure(groups, results, verdict);
        return verdict;
    }

    /// <summary>Accepted and duplicate events of an accepted request; conflicting events of a refused one.</summary>
    private void Measure(List<CustomerPart> groups, IngestResult[] results, IngestVerdict verdict)
    {
        int accepted = 0, duplicate = 0, conflict = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            if (!results[g].CustomerFound)
            {
                continue;
            }

            foreach (var outcome in results[g].Outcomes)
            {
                switch (outcome)
                {
                    case EventOutcome.Accepted: accepted++; break;
                    case EventOutcome.Duplicate: duplicate++; break;
                    case EventOutcome.Conflict: conflict++; break;
                }
            }
        }

        if (verdict.IsAccepted)
        {
            metrics.Accepted(accepted, duplicate);
        }
        else
        {
            metrics.Conflicts(conflict);
        }
    }

    private void Remember(List<CustomerPart> groups, IngestResult[] results)
    {
        for (var g = 0; g < groups.Count; g++)
        {
            if (results[g].CustomerFound)
            {
                _knownCustomers.Add(groups[g].GrainKey, true);
            }
        }
    }

    private static IngestVerdict Verdict(List<CustomerPart> groups, IngestResult[] results)
    {
        var errors = new List<IndexedError>();
        var conflictsOnly = true;
        for (var g = 0; g < groups.Count; g++)
        {
            var part = groups[g];
            var result = results[g];
            for (var k = 0; k < part.Indexes.Length; k++)
            {
                if (!result.CustomerFound)
                {
                    conflictsOnly = false;
                    errors.Add(new IndexedError(part.Indexes[k], ErrorMessages.CustomerNotFound(part.ExternalCustomerId)));
                }
                else if (result.Outcomes[k] == EventOutcome.Conflict)
                {
                    errors.Add(new IndexedError(part.Indexes[k], ErrorMessages.Conflict(part.Batch.Events[k].EventId)));
                }
            }
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return errors.Count == 0 ? IngestVerdict.Accepted : new IngestVerdict(errors, conflictsOnly);
    }

    private sealed record CustomerPart(string ExternalCustomerId, string GrainKey, ICustomerGrain Grain, ImmutableArray<int> Indexes, IngestBatch Batch);
}
