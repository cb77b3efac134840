using System.Text.Json;

namespace Flexprice.Client.Usage;

/// <param name="Value">A number, or a string for LATEST over string values: read it with <see cref="Number"/> or <see cref="Text"/>.</param>
/// <param name="EventCount">Events that fed the feature.</param>
public sealed record FeatureUsage(string FeatureId, string FeatureName, string EventName, string AggregationType, JsonElement Value, long EventCount)
{
    /// <summary>The value as an exact decimal (null when it is not a number).</summary>
    public decimal? Number => UsageValue.Number(Value);

    /// <summary>The value as text (numbers in their JSON form).</summary>
    public string Text => UsageValue.Text(Value);
}
