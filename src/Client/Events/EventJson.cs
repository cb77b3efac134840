using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Flexprice.Client.Events;

/// <summary>Writes a <see cref="UsageEvent"/> as the JSON object the API takes.</summary>
public static class EventJson
{
    private static readonly JsonSerializerOptions PropertyValues = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The event's JSON, with <paramref name="eventId"/> and <paramref name="timestamp"/> filled in.
    /// Timestamps are written in UTC with microseconds (the server's precision).
    /// </summary>
    public static byte[] Serialize(UsageEvent usage, string eventId, DateTimeOffset timestamp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(usage.EventName, nameof(usage.EventName));
        ArgumentException.ThrowIfNullOrWhiteSpace(usage.ExternalCustomerId, nameof(usage.ExternalCustomerId));
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event_id"u8, eventId);
            writer.WriteString("event_name"u8, usage.EventName);
            writer.WriteString("external_customer_id"u8, usage.ExternalCustomerId);
            if (usage.CustomerId is { } customerId)
            {
                writer.WriteString("customer_id"u8, customerId);
            }

            writer.WriteString("timestamp"u8, FormatTimestamp(timestamp));
            if (usage.Source is { } source)
            {
                writer.WriteString("source"u8, source);
            }

            writer.WritePropertyName("properties"u8);
            writer.WriteStartObject();
            foreach (var (name, value) in usage.Properties ?? new Dictionary<string, object?>())
            {
                writer.WritePropertyName(name);
                JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object), PropertyValues);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
