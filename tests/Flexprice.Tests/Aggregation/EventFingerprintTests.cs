using System.Buffers;
using System.Text.Json;
using Flexprice.Grains.Aggregation;
using static Flexprice.Tests.Aggregation.Features;

namespace Flexprice.Tests.Aggregation;

public sealed class EventFingerprintTests
{
    private static readonly DateTime T0 = new(2025, 8, 22, 7, 5, 49, 441, DateTimeKind.Utc);

    [Fact]
    public void Key_order_does_not_matter()
    {
        Assert.Equal(
            Fingerprint("api_call", """{"a": 1, "b": "x", "c": {"y": 2, "z": [1, {"q": 1, "p": 2}]}}"""),
            Fingerprint("api_call", """{"c": {"z": [1, {"p": 2, "q": 1}], "y": 2}, "b": "x", "a": 1}"""));
    }

    [Fact]
    public void Whitespace_does_not_matter()
    {
        Assert.Equal(
            Fingerprint("api_call", """{"a":1,"b":[1,2]}"""),
            Fingerprint("api_call", "{ \n\t\"a\" :  1 ,\r\n \"b\" : [ 1 , 2 ] }\n"));
    }

    [Fact]
    public void Escapes_do_not_matter()
    {
        Assert.Equal(
            Fingerprint("api_call", """{"a": "A/é"}"""),
            Fingerprint("api_call", """{"\u0061": "\u0041\/\u00e9"}"""));
    }

    [Fact]
    public void Absent_properties_are_the_empty_object()
    {
        Assert.Equal(
            EventFingerprint.Compute("api_call", default, T0),
            Fingerprint("api_call", "{}", T0));
    }

    [Fact]
    public void Same_input_gives_same_sha256()
    {
        var first = Fingerprint("api_call", """{"a": 1}""", T0);

        Assert.Equal(32, first.Length);
        Assert.Equal(first, Fingerprint("api_call", """{"a": 1}""", T0));
    }

    [Theory]
    [InlineData("""{"a": 2}""")]
    [InlineData("""{"a": "1"}""")]
    [InlineData("""{"a": 1, "b": 1}""")]
    [InlineData("""{"A": 1}""")]
    [InlineData("""{"a": [1]}""")]
    [InlineData("""{}""")]
    public void Value_change_changes_it(string changed)
    {
        Assert.NotEqual(Fingerprint("api_call", """{"a": 1}""", T0), Fingerprint("api_call", changed, T0));
    }

    [Fact]
    public void Array_order_matters()
    {
        Assert.NotEqual(Fingerprint("api_call", """{"a": [1, 2]}"""), Fingerprint("api_call", """{"a": [2, 1]}"""));
    }

    [Fact]
    public void Name_change_changes_it()
    {
        Assert.NotEqual(Fingerprint("api_call", """{"a": 1}""", T0), Fingerprint("api_calls", """{"a": 1}""", T0));
    }

    [Fact]
    public void Name_and_properties_do_not_run_into_each_other()
    {
        Assert.NotEqual(Fingerprint("a", """{"b": 1}"""), Fingerprint("a{", """{"b": 1}"""));
    }

    [Fact]
    public void Client_timestamp_change_changes_it()
    {
        Assert.NotEqual(Fingerprint("api_call", """{"a": 1}""", T0), Fingerprint("api_call", """{"a": 1}""", T0.AddTicks(10)));
    }

    [Fact]
    public void Absent_timestamp_differs_from_a_given_one()
    {
        Assert.NotEqual(Fingerprint("api_call", """{"a": 1}"""), Fingerprint("api_call", """{"a": 1}""", T0));
        Assert.NotEqual(Fingerprint("api_call", """{"a": 1}"""), Fingerprint("api_call", """{"a": 1}""", DateTime.UnixEpoch));
    }

    private static byte[] Fingerprint(string eventName, string properties, DateTime? timestamp = null) =>
        EventFingerprint.Compute(eventName, Json(properties), timestamp);

    /// <summary>
    /// Fingerprints are stored with every event: a faster implementation must hash exactly the bytes the first one did
    /// (event name, NUL, properties re-written with keys in ordinal order and the last of a repeated key, NUL, the client's
    /// timestamp in round-trip form). The first implementation is kept here as the oracle.
    /// </summary>
    [Fact]
    public void The_bytes_hashed_are_those_of_the_first_implementation()
    {
        var random = new Random(42);
        string[] names = ["a", "b", "credits", "model", "Z", "é", "ü", "k\u00e9", "a", "😀", "_", "10", "9"];
        string[] values = ["1", "-2.50", "1e3", "\"x\"", "\"Jos\\u00e9\"", "true", "null", "[1, \"a\", {\"b\": 2}]", "{}", "{\"z\": 1, \"a\": [2]}", "\"\\ud83d\\ude00\""];
        for (var i = 0; i < 500; i++)
        {
            var json = "{" + string.Join(", ", Enumerable.Range(0, random.Next(0, 6)).Select(_ => $"\"{names[random.Next(names.Length)]}\": {values[random.Next(values.Length)]}")) + "}";
            using var document = JsonDocument.Parse(json);
            DateTime? timestamp = random.Next(2) == 0 ? null : T0.AddTicks(random.Next() * 10L);
            var eventName = random.Next(3) == 0 ? "model.usage" : "ünï.códe";

            Assert.Equal(FirstImplementation(eventName, document.RootElement, timestamp), EventFingerprint.Compute(eventName, document.RootElement, timestamp));
        }
    }

    private static byte[] FirstImplementation(string eventName, JsonElement properties, DateTime? clientTimestamp)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        buffer.Write(System.Text.Encoding.UTF8.GetBytes(eventName));
        buffer.Write((ReadOnlySpan<byte>)[0]);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Canonical(writer, properties);
        }

        buffer.Write((ReadOnlySpan<byte>)[0]);
        if (clientTimestamp is { } timestamp)
        {
            buffer.Write(System.Text.Encoding.UTF8.GetBytes(timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
        }

        return System.Security.Cryptography.SHA256.HashData(buffer.WrittenSpan);

        static void Canonical(Utf8JsonWriter writer, JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    writer.WriteStartObject();
                    var sorted = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        sorted[property.Name] = property.Value;
                    }

                    foreach (var (name, value) in sorted)
                    {
                        writer.WritePropertyName(name);
                        Canonical(writer, value);
                    }

                    writer.WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    writer.WriteStartArray();
                    foreach (var item in element.EnumerateArray())
                    {
                        Canonical(writer, item);
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
}
