using System.Runtime.InteropServices;
using System.Text.Json;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// The caps on what a client may store, each answered with a 400 naming the field and the cap. Every
/// stored string is also free of U+0000 (checked for whole bodies by <see cref="JsonText"/>).
/// </summary>
public static class InputLimits
{
    /// <summary>Ids: <c>event_id</c>, <c>external_customer_id</c>, <c>external_id</c>, <c>customer_id</c>, meter and feature ids.</summary>
    public const int MaxIdLength = 255;

    /// <summary>Names and short texts: <c>event_name</c>, <c>source</c>, a meter's <c>event_name</c> and <c>field</c>, feature, customer, key and tenant names, e-mail, filter keys and values.</summary>
    public const int MaxNameLength = 255;

    /// <summary>Descriptions (a feature's <c>description</c>).</summary>
    public const int MaxDescriptionLength = 2048;

    /// <summary>An event's <c>properties</c> (and a customer's <c>metadata</c>), serialized: 64 KiB.</summary>
    public const int MaxPropertiesBytes = 64 * 1024;

    /// <summary>Keys in an event's <c>properties</c>, at every level together.</summary>
    public const int MaxPropertyKeys = 256;

    /// <summary>Levels of nesting inside <c>properties</c> (an object of scalars is one level).</summary>
    public const int MaxPropertyDepth = 32;

    /// <summary>Null when <paramref name="value"/> fits; otherwise the 400's message.</summary>
    public static string? CheckText(string? value, string field, int max = MaxNameLength) =>
        value is null || value.Length <= max ? null : ErrorMessages.TooLong(field, max);

    /// <summary>
    /// For text that does not come from a JSON body (query strings, route values): what <see cref="CheckText"/>
    /// checks, and no U+0000 (the JSON body check does not see it).
    /// </summary>
    public static string? CheckParameter(string? value, string field, int max = MaxNameLength) =>
        !JsonText.IsStorable(value) ? ErrorMessages.HoldsNul(field) : CheckText(value, field, max);

    /// <summary>A whole number from a query string, <paramref name="min"/> to <paramref name="max"/>; null when absent. False: the 400's message.</summary>
    public static bool TryInteger(string? text, string field, int min, int max, out int? value, out string error)
    {
        value = null;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            error = $"Invalid field: {field} must be a whole number from {min} to {max}";
            return false;
        }

        value = parsed;
        return true;
    }

    /// <summary>Null when the object fits the caps on properties; otherwise the 400's message.</summary>
    public static string? CheckProperties(JsonElement properties, string field)
    {
        if (JsonMarshal.GetRawUtf8Value(properties).Length > MaxPropertiesBytes)
        {
            return $"Invalid field: {field} holds at most {MaxPropertiesBytes} bytes of JSON ({MaxPropertiesBytes / 1024} KiB)";
        }

        var keys = 0;
        return Walk(properties, 1, ref keys) switch
        {
            Problem.Keys => $"Invalid field: {field} holds at most {MaxPropertyKeys} keys (at all levels together)",
            Problem.Depth => $"Invalid field: {field} nests at most {MaxPropertyDepth} levels",
            _ => null,
        };

        static Problem Walk(JsonElement element, int depth, ref int keys)
        {
            if (depth > MaxPropertyDepth)
            {
                return Problem.Depth;
            }

            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (++keys > MaxPropertyKeys)
                        {
                            return Problem.Keys;
                        }

                        if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Walk(property.Value, depth + 1, ref keys) is var found and not Problem.None)
                        {
                            return found;
                        }
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Walk(item, depth + 1, ref keys) is var found and not Problem.None)
                        {
                            return found;
                        }
                    }

                    break;
            }

            return Problem.None;
        }
    }

    private enum Problem
    {
        None,
        Keys,
        Depth,
    }
}
