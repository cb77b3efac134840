using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// What one event contributes to a meter: its number (or, for LATEST, its text; for COUNT_UNIQUE, the value's key)
/// and its group, read from the properties. The one reading shared by the streaming fold and the tests' list oracle.
/// </summary>
public readonly record struct UsageInput(DateTime Timestamp, long Order, decimal Number, string? Text, string? Key, string Group)
{
    /// <summary>False when the event carries nothing the meter can read (no field, or a value of the wrong kind).</summary>
    public static bool TryRead(Meter meter, in UsageEvent e, out UsageInput input)
    {
        input = default;
        var group = "";
        if (meter.GroupBy is { } groupBy && e.Properties.ValueKind == JsonValueKind.Object && e.Properties.TryGetProperty(groupBy, out var groupValue))
        {
            group = groupValue.ValueKind == JsonValueKind.String ? "s:" + groupValue.GetString() : "j:" + groupValue.GetRawText();
        }

        if (meter.Aggregation == AggregationType.Count)
        {
            input = new UsageInput(e.Timestamp, e.Order, 0m, null, null, group);
            return true;
        }

        if (meter.Field is not { } field || e.Properties.ValueKind != JsonValueKind.Object || !e.Properties.TryGetProperty(field, out var value))
        {
            return false;
        }

        switch (meter.Aggregation)
        {
            case AggregationType.Latest when value.ValueKind == JsonValueKind.String:
                input = new UsageInput(e.Timestamp, e.Order, 0m, value.GetString(), null, group);
                return true;
            case AggregationType.Latest when value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var latest):
                input = new UsageInput(e.Timestamp, e.Order, latest, null, null, group);
                return true;
            case AggregationType.Latest:
                return false;
            case AggregationType.CountUnique when value.ValueKind == JsonValueKind.String:
                input = new UsageInput(e.Timestamp, e.Order, 0m, null, $"\"{value.GetString()}\"", group);
                return true;
            case AggregationType.CountUnique when value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                input = new UsageInput(e.Timestamp, e.Order, 0m, null, value.GetRawText(), group);
                return true;
            case AggregationType.CountUnique:
                return false;
            default:
                if (!PropertyReader.TryReadNumber(value, out var number))
                {
                    return false;
                }

                input = new UsageInput(e.Timestamp, e.Order, number, null, null, group);
                return true;
        }
    }
}
