namespace Flexprice.Client.Catalog;

/// <summary>What a metered feature counts: the events named <see cref="EventName"/> that pass every filter, aggregated.</summary>
/// <param name="Id">Set by the server (null in a request).</param>
/// <param name="ResetUsage"><c>BILLING_PERIOD</c> (the default) or <c>NEVER</c>.</param>
public sealed record Meter(string EventName, Aggregation Aggregation, string? ResetUsage = null, IReadOnlyList<MeterFilter>? Filters = null, string? Id = null, string? Name = null);
