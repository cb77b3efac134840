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
}
