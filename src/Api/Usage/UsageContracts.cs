using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Usage;

/// <param name="StartTime">The range's start when one was asked for (null: all time).</param>
public sealed record UsageResponse(string ExternalCustomerId, IReadOnlyList<FeatureUsageResponse> Features, DateTime? StartTime = null, DateTime? EndTime = null);

/// <param name="Value">A number; a string for LATEST over string values.</param>
/// <param name="EventCount">Events that fed the feature.</param>
/// <param name="Partial">True while the feature, new to the customer, is still reading the customer's earlier events (all-time usage only); absent otherwise.</param>
public sealed record FeatureUsageResponse(string FeatureId, string FeatureName, string EventName, string AggregationType, object Value, long EventCount, bool? Partial = null);

/// <summary>
/// A usage query's answer. <see cref="Value"/> is the aggregate over the whole range (not a sum of windows);
/// <see cref="Results"/> holds the windows with events, oldest first (none without a window_size).
/// <see cref="Source"/> says where the events were read: <c>memory</c> (the customer grain's recent events) or <c>log</c> (the event log); the answer is the same.
/// </summary>
public sealed record UsageQueryResponse(
    string EventName, string Type, object Value, long EventCount, DateTime StartTime, DateTime EndTime, string? WindowSize, string Timezone,
    IReadOnlyList<UsageWindowResponse> Results, string Source);

/// <param name="WindowSize">The window's aligned start (Flexprice's name for it); equal to <see cref="WindowStart"/>.</param>
/// <param name="WindowEnd">The window's aligned end; only events inside the query's range count, so the first and last windows may be cut.</param>
public sealed record UsageWindowResponse(DateTime WindowSize, DateTime WindowStart, DateTime WindowEnd, object Value, long EventCount);
