using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flexprice.Importer.Input;

/// <summary>
/// One NDJSON line to one event: checks that the line is one JSON object, and gives it an
/// <c>event_id</c> when it has none (<see cref="EventIdDerivation"/>). The rest of the line is sent
/// exactly as written, so the server sees the same payload on every run.
/// </summary>
public static class NdjsonLine
{
    public static void Convert(ReadOnlySpan<byte> line, SourceRecord record)
    {
        var (hasId, idUsable, empty) = (false, false, true);
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                Refuse(record, line, "Not a JSON object");
                return;
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
                {
                    empty = false;
                    if (reader.ValueTextEquals("external_customer_id"u8))
                    {
                        reader.Read();
                        record.CustomerKey = SourceRecord.KeyOf(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            reader.Skip();
                        }
                    }
                    else if (reader.ValueTextEquals("event_id"u8))
                    {
                        hasId = true;
                        reader.Read();
                        // null and "" are replaced by the derived id (left as they are, the server
                        // would make a new id on every run); any other value goes to the server as written.
                        idUsable = reader.TokenType != JsonTokenType.Null && !(reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length == 0);
                        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            reader.Skip();
                        }
                    }
                }
            }
        }
        catch (JsonException ex)
        {
            Refuse(record, line, $"Invalid JSON: {ex.Message}");
            return;
        }

        if (hasId && idUsable)
        {
            record.Json.Write(line);
            return;
        }

        var id = EventIdDerivation.Derive(line, record.Line);
        if (hasId)
        {
            // Rare: "event_id": null or "". Rewrite the object with the derived id.
            var node = JsonNode.Parse(line)!.AsObject();
            node["event_id"] = id;
            using var writer = new Utf8JsonWriter(record.Json);
            node.WriteTo(writer);
            return;
        }

        // Insert "event_id":"…" right after the opening brace; the rest is copied byte for byte.
        var brace = line.IndexOf((byte)'{');
        record.Json.Write(line[..(brace + 1)]);
        record.Json.Write("\"event_id\":\""u8);
        record.Json.Write(Encoding.UTF8.GetBytes(id));
        record.Json.Write(empty ? "\""u8 : "\","u8);
        record.Json.Write(line[(brace + 1)..]);
    }

    private static void Refuse(SourceRecord record, ReadOnlySpan<byte> line, string error)
    {
        record.Error = error;
        record.Raw = Encoding.UTF8.GetString(line);
    }
}
