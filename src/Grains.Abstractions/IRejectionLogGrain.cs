using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Flexprice.Grains.Abstractions;

/// <summary>An ingestion request that was turned away: when, on which route, with what status and why, and its first bytes.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.Rejection")]
public sealed record Rejection(
    [property: Id(0)] DateTimeOffset Time,
    [property: Id(1)] string Route,
    [property: Id(2)] int Status,
    [property: Id(3)] string Reason,
    [property: Id(4)] string RequestHead);

/// <summary>
/// The tenant's last <see cref="Capacity"/> refused ingestion requests, newest first; key: tenant id. Each
/// entry holds at most 512 characters of text (1 KiB), cut to the caps below. Kept in memory only (an operator's debugging aid, not an audit log): a restart or deactivation forgets them.
/// </summary>
public interface IRejectionLogGrain : IGrainWithStringKey
{
    public const int Capacity = 1000;

    /// <summary>An entry keeps at most this much of the route (method and path).</summary>
    public const int MaxRouteChars = 64;

    /// <summary>An entry keeps at most this much of the reason.</summary>
    public const int MaxReasonChars = 192;

    /// <summary>An entry keeps at most this much of the request's first bytes.</summary>
    public const int MaxHeadChars = 256;

    /// <summary>Remembers one refusal, forgetting the oldest beyond <see cref="Capacity"/>.</summary>
    Task Record(Rejection rejection);

    /// <summary>The remembered refusals, newest first.</summary>
    [AlwaysInterleave]
    Task<ImmutableArray<Rejection>> List();
}
