using System.Globalization;
using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>The value an event contributes to one feature, read from its properties.</summary>
public readonly record struct AggregationInput(decimal Number, string? Text, string? UniqueKey);

/// <summary>
/// Reads the property a feature aggregates. The rules are the ingestion contract: SUM and MAX need a
/// number or a numeric string; LATEST takes a number (kept as a decimal) or a string (kept as text);
/// COUNT_UNIQUE takes any scalar, strings compared by their value and numbers and booleans by their JSON text; COUNT reads nothing.
/// </summary>
public static class PropertyReader
{
    /// <summary>
    /// The largest magnitude SUM and MAX accept. Far beyond any real quantity, and small enough that
    /// no customer's running sum can overflow <see cref="decimal"/> (that would take 10^8 such events).
    /// </summary>
    public const decimal MaxMagnitude = 100_000_000_000_000_000_000m;

    /// <summary>Reads the feature's input; on failure <paramref name="error"/> says why, in words for the client.</summary>
    public static bool TryRead(JsonElement properties, FeatureDefinition feature, out AggregationInput input, out string? error)
    {
        input = default;
        error = null;
        if (feature.Meter.Aggregation == AggregationType.Count)
        {
            return true;
        }

        var field = feature.Meter.Field!;
        if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error = $"Missing required property '{field}' for feature '{feature.Name}' ({feature.Meter.Aggregation.ToWireName()} aggregation)";
            return false;
        }

        switch (feature.Meter.Aggregation)
        {
            case AggregationType.Sum or AggregationType.Max or AggregationType.Avg or AggregationType.Min
                or AggregationType.SumWithMultiplier or AggregationType.WeightedSum:
                if (TryReadNumber(value, out var number) && Math.Abs(number) <= MaxMagnitude)
                {
                    input = new AggregationInput(number, null, null);
                    return true;
                }

                error = $"Property '{field}' must be a number or a numeric string, at most 1e20 in magnitude, for feature '{feature.Name}' ({feature.Meter.Aggregation.ToWireName()} aggregation)";
                return false;

            case AggregationType.Latest:
                if (value.ValueKind == JsonValueKind.String)
                {
                    input = new AggregationInput(0m, value.GetString()!, null);
                    return true;
                }

                if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var latest))
                {
                    input = new AggregationInput(latest, null, null);
                    return true;
                }

                error = $"Property '{field}' must be a number or a string for feature '{feature.Name}' (LATEST aggregation)";
                return false;

            case AggregationType.CountUnique:
                if (value.ValueKind is JsonValueKind.String)
                {
                    // The string's value, not its JSON spelling: "Jos\u00e9" (Python's json.dumps) is "José".
                    // Quoted as in JSON text, so "1" stays apart from 1 and unescaped keys of earlier checkpoints still match.
                    input = new AggregationInput(0m, null, $"\"{value.GetString()}\"");
                    return true;
                }

                if (value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    input = new AggregationInput(0m, null, value.GetRawText());
                    return true;
                }

                error = $"Property '{field}' must be a string, number or boolean for feature '{feature.Name}' (COUNT_UNIQUE aggregation)";
                return false;

            default:
                error = $"Unsupported aggregation {feature.Meter.Aggregation}";
                return false;
        }
    }

    /// <summary>A JSON number, or a string holding one, as an exact decimal.</summary>
    public static bool TryReadNumber(JsonElement value, out decimal number)
    {
        number = 0m;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDecimal(out number),
            JsonValueKind.String => decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number),
            _ => false,
        };
    }
}
