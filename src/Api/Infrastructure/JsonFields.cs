using System.Text.Json;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Strict readers of a request body's fields, for bodies read field by field: a field that is absent or
/// <c>null</c> is absent; a value of another JSON type is a 400 naming the field, never read as absent. Each
/// returns false with the 400's message in <c>error</c>.
/// </summary>
public static class JsonFields
{
    /// <summary>The most values a list field of a query (ids, lookup keys, filter values) may hold.</summary>
    public const int MaxListLength = 1000;

    /// <summary>A string (trimmed), at most <paramref name="max"/> characters.</summary>
    public static bool TryString(JsonElement json, string name, int max, out string? value, out string error)
    {
        value = null;
        error = "";
        if (!TryGet(json, name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"Invalid field: {name} must be a string";
            return false;
        }

        value = element.GetString()!.Trim();
        if (InputLimits.CheckText(value, name, max) is { } tooLong)
        {
            error = tooLong;
            return false;
        }

        return true;
    }

    /// <summary>A list of strings (each trimmed, at most <paramref name="max"/> characters), at most <see cref="MaxListLength"/> of them.</summary>
    public static bool TryStrings(JsonElement json, string name, int max, out IReadOnlyList<string>? values, out string error)
    {
        values = null;
        error = "";
        if (!TryGet(json, name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
        {
            error = $"Invalid field: {name} must be a list of strings";
            return false;
        }

        if (element.GetArrayLength() > MaxListLength)
        {
            error = $"Invalid field: {name} holds at most {MaxListLength} values";
            return false;
        }

        var list = element.EnumerateArray().Select(item => item.GetString()!.Trim()).ToList();
        if (list.Select(item => InputLimits.CheckText(item, name, max)).FirstOrDefault(e => e is not null) is { } tooLong)
        {
            error = tooLong;
            return false;
        }

        values = list;
        return true;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static bool TryInteger(JsonElement json, string name, int min, int max, out int? value, out string error)
    {
        value = null;
        error = "";
        if (!TryGet(json, name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var number) || number < min || number > max)
        {
            error = $"Invalid field: {name} must be a whole number from {min} to {max}";
            return false;
        }

        value = number;
        return true;
    }

    /// <summary>
    /// An object whose values are lists of strings (<c>{"key": ["v1", "v2"]}</c>), as Flexprice's
    /// <c>property_filters</c>; a single string or number stands for a list of one.
    /// </summary>
    public static bool TryStringLists(JsonElement json, string name, out IReadOnlyList<(string Key, IReadOnlyList<string> Values)>? lists, out string error)
    {
        lists = null;
        error = "";
        if (!TryGet(json, name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            error = $"Invalid field: {name} must be an object of lists of strings";
            return false;
        }

        var result = new List<(string, IReadOnlyList<string>)>();
        foreach (var property in element.EnumerateObject())
        {
            var items = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [property.Value];
            if (items.Count == 0 || items.Count > MaxListLength || items.Any(item => item.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)))
            {
                error = $"Invalid field: {name}.{ErrorMessages.Echo(property.Name)} must be a list of 1 to {MaxListLength} strings";
                return false;
            }

            var values = items.Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText()).ToList();
            if ((InputLimits.CheckText(property.Name, $"{name} key") ?? values.Select(v => InputLimits.CheckText(v, $"{name} value")).FirstOrDefault(e => e is not null)) is { } tooLong)
            {
                error = tooLong;
                return false;
            }

            result.Add((property.Name, values));
        }

        if (result.Count > InputLimits.MaxPropertyKeys)
        {
            error = $"Invalid field: {name} holds at most {InputLimits.MaxPropertyKeys} keys";
            return false;
        }

        lists = result;
        return true;
    }

    /// <summary>True when the field is present and not null.</summary>
    public static bool TryGet(JsonElement json, string name, out JsonElement element) =>
        json.TryGetProperty(name, out element) && element.ValueKind != JsonValueKind.Null;
}
