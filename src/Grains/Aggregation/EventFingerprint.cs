using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// The identity of an event's payload for the idempotency rule: SHA-256 over the event name, the
/// properties in canonical form (keys sorted, whitespace and escapes normalised) and the timestamp
/// when the client gave one. A retry that reorders properties is the same event; a server-chosen
/// timestamp is not part of it, since a retry without a timestamp gets a new one. Stored with every
/// event: the bytes hashed must never change.
/// </summary>
public static class EventFingerprint
{
    // Reused per thread (this runs for every ingested event): the buffer and the writer over it.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public static byte[] Compute(string eventName, JsonElement properties, DateTime? clientTimestamp)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        Write(buffer, eventName);
        buffer.Write((ReadOnlySpan<byte>)[0]);
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        WriteCanonical(writer, properties);
        writer.Flush();
        buffer.Write((ReadOnlySpan<byte>)[0]);
        if (clientTimestamp is { } timestamp)
        {
            Span<char> text = stackalloc char[40];
            timestamp.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
            Write(buffer, text[..written]);
        }

        var hash = SHA256.HashData(buffer.WrittenSpan);
        if (buffer.Capacity > 64 * 1024)
        {
            // Do not keep a large buffer alive on the thread after an unusual event.
            _buffer = null;
            _writer = null;
        }

        return hash;
    }

    private static void Write(ArrayBufferWriter<byte> buffer, ReadOnlySpan<char> text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // Sorted by name (ordinal); for a repeated name the last value wins, as in the stored JSON's reading.
                var count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                var properties = ArrayPool<(string Name, int Order, JsonElement Value)>.Shared.Rent(count);
                try
                {
                    var i = 0;
                    foreach (var property in element.EnumerateObject())
                    {
                        properties[i] = (property.Name, i, property.Value);
                        i++;
                    }

                    Array.Sort(properties, 0, count, OrderedByName.Instance);
                    for (i = 0; i < count; i++)
                    {
                        if (i + 1 < count && string.Equals(properties[i].Name, properties[i + 1].Name, StringComparison.Ordinal))
                        {
                            continue;
                        }

                        writer.WritePropertyName(properties[i].Name);
                        WriteCanonical(writer, properties[i].Value);
                    }
                }
                finally
                {
                    ArrayPool<(string Name, int Order, JsonElement Value)>.Shared.Return(properties, clearArray: true);
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

    /// <summary>By name (ordinal), then by position, so that the last of a repeated name comes last.</summary>
    private sealed class OrderedByName : IComparer<(string Name, int Order, JsonElement Value)>
    {
        public static readonly OrderedByName Instance = new();

        public int Compare((string Name, int Order, JsonElement Value) x, (string Name, int Order, JsonElement Value) y)
        {
            var byName = string.CompareOrdinal(x.Name, y.Name);
            return byName != 0 ? byName : x.Order.CompareTo(y.Order);
        }
    }
}
