using System.Globalization;
using System.Text.Json;

namespace Flexprice.Client.Usage;

/// <summary>Reads a usage value: a JSON number (exact decimal) or, for LATEST over strings, a string.</summary>
internal static class UsageValue
{
    public static decimal? Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDecimal()
        : value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : null;

    public static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
