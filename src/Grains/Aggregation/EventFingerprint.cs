using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// The identity of an event's payload for the idempotency rule: SHA-256 over the event name, the
/// properties in canonical form (keys sorted, whitespace and escapes normalised) and the timestamp
/// when the client gave one. A retry that reorders properties is the same event; a server-chosen
/// timestamp is not part of it, since a retry without a timestamp gets a new one.
/// </summary>
public static class EventFingerprint
{
    public static byte[] Compute(string eventName, JsonElement properties, DateTime? clientTimestamp)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.UTF8.GetBytes(eventName));
        buffer.Write((ReadOnlySpan<byte>)[0]);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, properties);
        }

        buffer.Write((ReadOnlySpan<byte>)[0]);
        if (clientTimestamp is { } timestamp)
        {
            buffer.Write(Encoding.UTF8.GetBytes(timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
        }

        return SHA256.HashData(buffer.WrittenSpan);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // Last value wins for a repeated key, as in the stored JSON's reading.
                var properties = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    properties[property.Name] = property.Value;
                }

                foreach (var (name, value) in properties)
                {
                    writer.WritePropertyName(name);
                    WriteCanonical(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Undefined:
                writer.WriteStartObject();
                writer.WriteEndObject();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
