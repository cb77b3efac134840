using System.Text;
using System.Text.Json;

namespace Flexprice.Api.Infrastructure;

/// <summary>Checks on the text inside a JSON document: what PostgreSQL cannot store must not get past the door.</summary>
public static class JsonText
{
    /// <summary>
    /// The first problem with the document's strings and property names, in words for the client, or null:
    /// a lone surrogate escape (<c>"\ud800"</c>, which is no text: refused as malformed JSON) or U+0000
    /// (valid JSON, but PostgreSQL text cannot hold it: 400 naming the field).
    /// </summary>
    public static string? FindUnstorable(JsonElement root)
    {
        // The parser leaves the UTF-8 inside strings unchecked until a string is read: check all of it at once.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(root);
        if (!System.Text.Unicode.Utf8.IsValid(raw))
        {
            return ErrorMessages.InvalidJson;
        }

        // U+0000 and lone surrogates can then only come as \u escapes: a document without any is fine as it is,
        // found without reading a single string.
        if (raw.IndexOf("\\u"u8) < 0)
        {
            return null;
        }

        var path = new List<string>();
        try
        {
            return Walk(root, path) ? null : ErrorMessages.HoldsNul(ErrorMessages.Echo(Path(path)));
        }
        catch (InvalidOperationException)
        {
            return ErrorMessages.InvalidJson;
        }
    }

    /// <summary>True when <paramref name="text"/> may be stored as PostgreSQL text.</summary>
    public static bool IsStorable(string? text) => text is null || !text.Contains('\0', StringComparison.Ordinal);

    // False (with the path filled in) at the first NUL; throws InvalidOperationException for a lone surrogate.
    private static bool Walk(JsonElement element, List<string> path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    path.Add(property.Name);
                    if (!IsStorable(property.Name) || !Walk(property.Value, path))
                    {
                        return false;
                    }

                    path.RemoveAt(path.Count - 1);
                }

                return true;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Add($"[{index++}]");
                    if (!Walk(item, path))
                    {
                        return false;
                    }

                    path.RemoveAt(path.Count - 1);
                }

                return true;
            case JsonValueKind.String:
                return IsStorable(element.GetString());
            default:
                return true;
        }
    }

    private static string Path(List<string> segments)
    {
        var text = new StringBuilder();
        foreach (var segment in segments)
        {
            if (text.Length > 0 && !segment.StartsWith('['))
            {
                text.Append('.');
            }

            text.Append(segment.Replace("\0", "\\u0000", StringComparison.Ordinal));
        }

        return text.Length == 0 ? "body" : text.ToString();
    }
}
