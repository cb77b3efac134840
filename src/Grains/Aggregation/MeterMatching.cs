using System.Globalization;
using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// Whether an event's properties pass a meter's filters: AND across filters, OR within one; a missing property does not
/// match; numbers compare by value, so "2" matches 2, "2.0" and "2"; booleans by their JSON text.
/// </summary>
public static class MeterMatching
{
    /// <summary>Whether the properties pass every filter of the meter (always, without filters).</summary>
    public static bool Accepts(this Meter meter, JsonElement properties)
    {
        foreach (var filter in meter.Filters)
        {
            if (!filter.Matches(properties))
            {
                return false;
            }
        }

        return true;
    }

    public static bool Matches(this MeterFilter filter, JsonElement properties)
    {
        if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(filter.Key, out var value))
        {
            return false;
        }

        foreach (var wanted in filter.Values)
        {
            if (ValueMatches(value, wanted))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ValueMatches(JsonElement value, string wanted)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                return string.Equals(text, wanted, StringComparison.Ordinal) || (TryNumber(text, out var a) && TryNumber(wanted, out var b) && a == b);
            case JsonValueKind.Number:
                return string.Equals(value.GetRawText(), wanted, StringComparison.Ordinal)
                    || (value.TryGetDecimal(out var number) && TryNumber(wanted, out var other) && number == other);
            case JsonValueKind.True or JsonValueKind.False:
                return string.Equals(value.GetRawText(), wanted.Trim(), StringComparison.OrdinalIgnoreCase);
            default:
                return false;
        }
    }

    private static bool TryNumber(string text, out decimal number) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
}
