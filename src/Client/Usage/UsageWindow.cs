using System.Text.Json;

namespace Flexprice.Client.Usage;

/// <summary>One window of a usage query: its aligned bounds and the value of the events in it (and in the query's range).</summary>
public sealed record UsageWindow(DateTime WindowStart, DateTime WindowEnd, JsonElement Value, long EventCount)
{
    public decimal? Number => UsageValue.Number(Value);
}
