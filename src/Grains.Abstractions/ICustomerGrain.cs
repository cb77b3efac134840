using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// One customer of one tenant; key: <c>{tenantId}/{externalCustomerId}</c> (see <see cref="CustomerKey"/>).
/// Deduplicates events by (tenant, external customer id, event id) for the life of the data, commits
/// them to the event log before answering, and keeps running aggregates per feature in memory.
/// </summary>
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the batch's new events durably and counts them. All-or-nothing: nothing is stored when
    /// the customer is unknown or any event conflicts. Throws when the log cannot be written.
    /// </summary>
    Task<IngestResult> Ingest(IngestBatch batch);

    /// <summary>
    /// <see cref="Ingest"/> for several requests at once (those that arrived while this customer's previous append
    /// was in flight), each all-or-nothing on its own and decided in order: an earlier batch takes an event id first.
    /// Their new events go to the log together, in one append. One result per batch, in order; a batch whose append
    /// failed for a passing fault after others of the call were stored says so in <see cref="IngestResult.Unavailable"/>.
    /// </summary>
    /// <remarks>A <see cref="ValueTask{TResult}"/>: awaited as it is, the call's answer needs no task of its own (this is on every ingest).</remarks>
    ValueTask<ImmutableArray<IngestResult>> IngestMany(ImmutableArray<IngestBatch> batches);

    /// <summary>What <see cref="Ingest"/> would answer now, storing nothing (phase one of a bulk request spanning customers).</summary>
    Task<IngestResult> Check(IngestBatch batch);

    /// <summary>
    /// All-time usage per feature, or null when the customer is unknown. Includes every event
    /// acknowledged before the call. Interleaves with an ingest that is waiting for its commit
    /// (answering from the aggregates as they stand, without the uncommitted events), so a query
    /// never waits for another client's write. <paramref name="catalogVersion"/>: the tenant's catalog version the
    /// caller knows (its key's <c>Admission.CatalogVersion</c>); the answer covers the features of that version or a
    /// later one, without asking the catalog when this activation already has it. <see cref="CatalogSnapshot.LatestVersion"/>
    /// asks the catalog for its current version.
    /// </summary>
    [AlwaysInterleave]
    Task<CustomerUsage?> GetUsage(long catalogVersion);

    /// <summary>
    /// Usage over a range, from the events the grain holds in memory (every event whose timestamp is within the
    /// recent period, including those acknowledged a moment ago). <see cref="UsageQueryResult.Answer"/> is null
    /// when the range starts before that period: the caller then computes from the event log, with the same result.
    /// </summary>
    Task<UsageQueryResult> QueryUsage(UsageQuery query);

    /// <summary>Like <see cref="GetUsage"/>, but in turn with the other calls: what GetUsage falls back to when it cannot answer from memory at once.</summary>
    Task<CustomerUsage?> GetUsageInTurn(long catalogVersion);
}

public static class CustomerKey
{
    public static string For(string tenantId, string externalCustomerId) => $"{tenantId}/{externalCustomerId}";

    /// <summary>Splits a key at its first '/': tenant ids never hold one, external ids may.</summary>
    public static (string TenantId, string ExternalCustomerId) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 ? throw new FormatException($"Not a customer grain key: '{key}'") : (key[..slash], key[(slash + 1)..]);
    }
}

/// <summary>Liveness of the cluster: a call that any silo can answer.</summary>
public interface IHealthGrain : IGrainWithIntegerKey
{
    Task<DateTimeOffset> Ping();
}
