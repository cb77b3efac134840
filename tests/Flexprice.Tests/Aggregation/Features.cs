using System.Text.Json;
using Flexprice.Grains;

namespace Flexprice.Tests.Aggregation;

/// <summary>Feature definitions and JSON properties for the pure aggregation tests.</summary>
internal static class Features
{
    public static FeatureDefinition Of(AggregationType aggregation, string? field = "value") => new(
        "feat_" + aggregation, aggregation.ToWireName(), "metered", "meter_" + aggregation,
        new Meter("evt", aggregation, aggregation == AggregationType.Count ? null : field), "BILLING_PERIOD", DateTimeOffset.UnixEpoch);

    /// <summary>The root element of <paramref name="json"/>, cloned so that it outlives its document.</summary>
    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
