using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Flexprice.Grains;

/// <summary>An ingestion request that was turned away: when, on which route, with what status and why, and its first bytes.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.Rejection")]
public sealed record Rejection(
    [property: Id(0)] DateTimeOffset Time,
    [property: Id(1)] string Route,
    [property: Id(2)] int Status,
    [property: Id(3)] string Reason,
    [property: Id(4)] string RequestHead);

/// <summary>
/// The tenant's last <see cref="Capacity"/> refused ingestion requests, newest first; key: tenant id. Kept in
/// memory only (an operator's debugging aid, not an audit log): a restart or deactivation forgets them.
/// </summary>
public interface IRejectionLogGrain : IGrainWithStringKey
{
    public const int Capacity = 1000;

    /// <summary>Remembers one refusal, forgetting the oldest beyond <see cref="Capacity"/>.</summary>
    Task Record(Rejection rejection);

    /// <summary>The remembered refusals, newest first.</summary>
    [AlwaysInterleave]
    Task<ImmutableArray<Rejection>> List();
}
