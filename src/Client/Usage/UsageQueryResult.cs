using System.Text.Json;

namespace Flexprice.Client.Usage;

/// <summary>
/// A usage query's answer: <see cref="Value"/> over the whole range (not a sum of windows), and the
/// windows that hold events, oldest first.
/// </summary>
public sealed record UsageQueryResult(
    string EventName, string Type, JsonElement Value, long EventCount, DateTime StartTime, DateTime EndTime, string? WindowSize, string Timezone,
    IReadOnlyList<UsageWindow> Results, string Source)
{
    public decimal? Number => UsageValue.Number(Value);
}
