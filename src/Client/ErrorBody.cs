using System.Text.Json;
using Flexprice.Client.Events;

namespace Flexprice.Client;

/// <summary>
/// Reads an answer's body: the message (<c>error</c>, or <c>message</c>), per-event errors
/// (<c>errors: [{index, error}]</c>) and, on a 202, <c>duplicates</c>. Anything unreadable is left out.
/// </summary>
internal static class ErrorBody
{
    public static (string? Error, IReadOnlyList<IndexedError>? Errors, int? Duplicates) Read(byte[] body)
    {
        if (body.Length == 0)
        {
            return (null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            var error = Text(root, "error") ?? Text(root, "message");
            List<IndexedError>? errors = null;
            if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                errors = [];
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("index", out var index) && index.TryGetInt32(out var i))
                    {
                        errors.Add(new IndexedError(i, Text(item, "error") ?? Text(item, "message") ?? error ?? "refused"));
                    }
                }
            }

            int? duplicates = root.TryGetProperty("duplicates", out var d) && d.TryGetInt32(out var n) ? n : null;
            return (error, errors, duplicates);
        }
        catch (JsonException)
        {
            return (System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 512)), null, null);
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
