using System.Collections.Immutable;
using Flexprice.Api.Contracts;
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
/// several customers, every grain first checks its part (customer known, no conflicting event id),
/// and only when all agree does each grain commit its part.
/// </summary>
public sealed class IngestionService(IGrainFactory grains)
{
    public async Task<IngestVerdict> IngestAsync(string tenantId, long catalogVersion, IReadOnlyList<ParsedEvent> events)
    {
        var groups = events
            .Select((e, index) => (e, index))
            .GroupBy(x => x.e.ExternalCustomerId, StringComparer.Ordinal)
            .Select(g => new CustomerPart(
                g.Key,
                grains.GetGrain<ICustomerGrain>(CustomerKey.For(tenantId, g.Key)),
                [.. g.Select(x => x.index)],
                new IngestBatch(catalogVersion, [.. g.Select(x => x.e.Event)])))
            .ToList();

        if (groups.Count > 1)
        {
            var checks = await Task.WhenAll(groups.Select(g => g.Grain.Check(g.Batch)));
            var refused = Verdict(groups, checks);
            if (!refused.IsAccepted)
            {
                return refused;
            }
        }

        var results = await Task.WhenAll(groups.Select(g => g.Grain.Ingest(g.Batch)));
        return Verdict(groups, results);
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

    private sealed record CustomerPart(string ExternalCustomerId, ICustomerGrain Grain, ImmutableArray<int> Indexes, IngestBatch Batch);
}
