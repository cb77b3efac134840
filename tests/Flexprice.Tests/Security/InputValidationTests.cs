using System.Net;
using System.Text;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Security;

/// <summary>
/// Validation at the door for everything stored or looked up: U+0000 is refused in every string with the
/// field named, every cap is a 400 naming the field and the cap, bodies over their limit are 413, a field of
/// the wrong JSON type is a 400 naming it, and error messages repeat at most 128 characters of a client's value.
/// After each refusal the tenant's usage is what it was: nothing was half-stored.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class InputValidationTests(ApiFactory api)
{
    /// <summary>The JSON escape of U+0000 wherever the text holds ␀.</summary>
    private static string N(string json) => json.Replace("␀", "\\u0000", StringComparison.Ordinal);

    public static TheoryData<string, string> EventsWithNul => new()
    {
        { N("""{"event_name": "api.ca␀lls", "external_customer_id": "cust_1"}"""), "event_name" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust␀_1"}"""), "external_customer_id" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "event_id": "e␀"}"""), "event_id" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "source": "a␀b"}"""), "source" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "timestamp": "2025-01-01T00:00:00Z␀"}"""), "timestamp" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "customer_id": "␀"}"""), "customer_id" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": {"k␀": 1}}"""), "properties.k\\u0000" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": {"a": {"b": "x␀"}}}"""), "properties.a.b" },
        { N("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": {"list": [1, "␀"]}}"""), "properties.list[1]" },
    };

    [Theory]
    [MemberData(nameof(EventsWithNul))]
    public async Task U0000_in_any_string_of_an_event_is_refused_naming_the_field(string json, string field)
    {
        using var tenant = await TenantAsync();
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var single = await tenant.PostJsonAsync("/v1/events", json);
        var bulk = await tenant.PostJsonAsync("/v1/events/bulk", $$$"""{"events": [{"event_name": "api.calls", "external_customer_id": "cust_1"}, {{{json}}}]}""");

        await single.AssertErrorAsync(HttpStatusCode.BadRequest, $"Invalid field: {field} must not contain the character U+0000");
        var bulkError = await bulk.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal($"Invalid field: events[1].{field} must not contain the character U+0000", bulkError.GetProperty("error").GetString());
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
    }

    public static TheoryData<string, string, string> OtherBodiesWithNul => new()
    {
        { "/v1/customers", N("""{"external_id": "a␀b"}"""), "external_id" },
        { "/v1/customers", N("""{"external_id": "ok", "name": "␀"}"""), "name" },
        { "/v1/customers", N("""{"external_id": "ok", "email": "␀@x"}"""), "email" },
        { "/v1/customers", N("""{"external_id": "ok", "metadata": {"␀": "x"}}"""), "metadata.\\u0000" },
        { "/v1/features", N("""{"name": "f␀", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}"""), "name" },
        { "/v1/features", N("""{"name": "f", "type": "metered", "meter": {"event_name": "e␀", "aggregation": {"type": "COUNT"}}}"""), "meter.event_name" },
        { "/v1/features", N("""{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "SUM", "field": "␀"}}}"""), "meter.aggregation.field" },
        { "/v1/features", N("""{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}, "filters": [{"key": "k", "values": ["␀"]}]}}"""), "meter.filters[0].values[0]" },
        { "/v1/secrets/api/keys", N("""{"name": "k␀"}"""), "name" },
        { "/v1/events/usage", N("""{"event_name": "api.calls", "external_customer_id": "c␀"}"""), "external_customer_id" },
        { "/v1/events/usage", N("""{"event_name": "api.calls", "filters": {"k": ["␀"]}}"""), "filters.k[0]" },
    };

    [Theory]
    [MemberData(nameof(OtherBodiesWithNul))]
    public async Task U0000_in_any_other_body_is_refused_naming_the_field(string route, string json, string field)
    {
        using var tenant = await TenantAsync();

        var response = await tenant.PostJsonAsync(route, json);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, $"Invalid field: {field} must not contain the character U+0000");
    }

    [Theory]
    [InlineData("/v1/events/lookup?id=%00", "id")]
    [InlineData("/v1/events/lookup?id=e1&external_customer_id=a%00", "external_customer_id")]
    [InlineData("/v1/events?external_customer_id=a%00b", "external_customer_id")]
    [InlineData("/v1/events?event_name=%00", "event_name")]
    [InlineData("/v1/events?event_id=%00", "event_id")]
    [InlineData("/v1/events?source=%00", "source")]
    // (A path holding %00 is refused by the server itself, before routing: see HostileInputTests.)
    public async Task U0000_in_a_query_is_refused_naming_the_field(string path, string field)
    {
        using var tenant = await TenantAsync();

        var response = await tenant.Http.GetAsync(path);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, $"Invalid field: {field} must not contain the character U+0000");
    }

    public static TheoryData<string, string, string> OverCaps => new()
    {
        { "/v1/events", Event(eventName: new string('e', 256)), "Invalid field: event_name holds at most 255 characters" },
        { "/v1/events", Event(customer: new string('c', 256)), "Invalid field: external_customer_id holds at most 255 characters" },
        { "/v1/events", Event(extra: $", \"event_id\": \"{new string('i', 256)}\""), "Invalid field: event_id holds at most 255 characters" },
        { "/v1/events", Event(extra: $", \"source\": \"{new string('s', 256)}\""), "Invalid field: source holds at most 255 characters" },
        { "/v1/events", Event(properties: Properties(keys: 257)), "Invalid field: properties holds at most 256 keys (at all levels together)" },
        { "/v1/events", Event(properties: Nested(33)), "Invalid field: properties nests at most 32 levels" },
        { "/v1/events", Event(properties: $"{{\"blob\": \"{new string('x', 64 * 1024)}\"}}"), "Invalid field: properties holds at most 65536 bytes of JSON (64 KiB)" },
        { "/v1/customers", $"{{\"external_id\": \"{new string('c', 256)}\"}}", "Invalid field: external_id holds at most 255 characters" },
        { "/v1/customers", $"{{\"external_id\": \"ok\", \"name\": \"{new string('n', 256)}\"}}", "Invalid field: name holds at most 255 characters" },
        { "/v1/features", Feature(name: new string('f', 256)), "Invalid field: name holds at most 255 characters" },
        { "/v1/features", Feature(eventName: new string('e', 4000)), "Invalid field: meter.event_name holds at most 255 characters" },
        { "/v1/features", Feature(field: new string('p', 256)), "Invalid field: meter.aggregation.field holds at most 255 characters" },
        { "/v1/secrets/api/keys", $"{{\"name\": \"{new string('k', 256)}\"}}", "Invalid field: name holds at most 255 characters" },
        { "/v1/events/usage", $"{{\"event_name\": \"{new string('e', 256)}\"}}", "Invalid field: event_name holds at most 255 characters" },
    };

    [Theory]
    [MemberData(nameof(OverCaps))]
    public async Task Every_cap_is_a_400_naming_the_field_and_the_cap(string route, string json, string message)
    {
        using var tenant = await TenantAsync();
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var response = await tenant.PostJsonAsync(route, json);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, message);
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
    }

    [Fact]
    public async Task Values_right_at_the_caps_are_accepted()
    {
        using var tenant = await TenantAsync();
        await tenant.CreateFeatureAsync(new string('e', 255), "COUNT", name: new string('f', 255));
        await tenant.CreateCustomerAsync(new string('c', 255));

        var atCaps = Event(
            eventName: new string('e', 255),
            customer: new string('c', 255),
            extra: $", \"event_id\": \"{new string('i', 255)}\", \"source\": \"{new string('s', 255)}\"",
            properties: Properties(keys: 256));
        var deep = Event(properties: Nested(32));
        var large = Event(properties: $"{{\"blob\": \"{new string('x', (64 * 1024) - 12)}\"}}");

        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", atCaps)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", deep)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events", large)).StatusCode);
        Assert.Equal(1m, (await tenant.UsageAsync(new string('c', 255)))[new string('f', 255)].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Bodies_over_their_route_limit_are_413_with_the_error_body()
    {
        using var tenant = await TenantAsync();
        var overOneMiB = Event(properties: $"{{\"blob\": \"{new string('x', 1024 * 1024)}\"}}");
        var bulkOver16MiB = $"{{\"events\": [{string.Join(",", Enumerable.Repeat(Event(properties: $"{{\"blob\": \"{new string('x', 60 * 1024)}\"}}"), 300))}]}}";
        var bulkOf2MiB = $"{{\"events\": [{string.Join(",", Enumerable.Repeat(Event(properties: $"{{\"blob\": \"{new string('x', 60 * 1024)}\"}}"), 35))}]}}";

        await (await tenant.PostJsonAsync("/v1/events", overOneMiB))
            .AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "Request body too large: this route takes at most 1048576 bytes (1 MiB)");
        await (await tenant.PostJsonAsync("/v1/customers", $"{{\"external_id\": \"x\", \"metadata\": {{\"blob\": \"{new string('x', 1024 * 1024)}\"}}}}"))
            .AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "Request body too large: this route takes at most 1048576 bytes (1 MiB)");
        await (await tenant.PostJsonAsync("/v1/events/bulk", bulkOver16MiB))
            .AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "Request body too large: this route takes at most 16777216 bytes (16 MiB)");

        // Without a Content-Length (chunked), the limit holds as the body is read.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(overOneMiB))) };
        chunked.Headers.TransferEncodingChunked = true;
        await (await tenant.Http.SendAsync(chunked)).AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "Request body too large: this route takes at most 1048576 bytes (1 MiB)");

        Assert.Equal(HttpStatusCode.Accepted, (await tenant.PostJsonAsync("/v1/events/bulk", bulkOf2MiB)).StatusCode);
        Assert.Equal(35m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "/v1/events", """{"event_name": 5, "external_customer_id": "cust_1"}""", "Invalid field: event_name must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": 12345}""", "Invalid field: external_customer_id must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": "cust_1", "event_id": []}""", "Invalid field: event_id must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": "cust_1", "timestamp": 1700000000}""", "Invalid field: timestamp must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": "cust_1", "source": {}}""", "Invalid field: source must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": "cust_1", "customer_id": 7}""", "Invalid field: customer_id must be a string" },
        { "/v1/events", """{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": [1]}""", "Invalid field: properties must be an object" },
        { "/v1/events/bulk", """{"events": {"event_name": "api.calls"}}""", "Invalid field: events must be an array" },
        { "/v1/events/usage", """{"event_name": "api.calls", "external_customer_id": 12345}""", "Invalid field: external_customer_id must be a string" },
        { "/v1/events/usage", """{"event_name": "api.calls", "aggregation_type": []}""", "Invalid field: aggregation_type must be a string" },
        { "/v1/events/usage", """{"event_name": ["api.calls"]}""", "Invalid field: event_name must be a string" },
        { "/v1/events/usage", """{"event_name": "api.calls", "start_time": 0}""", "Invalid field: start_time must be a string" },
        { "/v1/events/usage", """{"event_name": "api.calls", "window_size": 60}""", "Invalid field: window_size must be a string" },
        { "/v1/events/usage", """{"event_name": "api.calls", "timezone": true}""", "Invalid field: timezone must be a string" },
        { "/v1/events/usage", """{"event_name": "api.calls", "customer_id": 1}""", "Invalid field: customer_id must be a string" },
        { "/v1/events/usage/meter", """{"meter_id": 1}""", "Invalid field: meter_id must be a string" },
        { "/v1/customers", """{"external_id": 5}""", "Invalid value for field: external_id" },
        { "/v1/customers", """{"external_id": "x", "email": ["a@b"]}""", "Invalid value for field: email" },
        { "/v1/features", """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "SUM", "field": 5}}}""", "Invalid value for field: meter.aggregation.field" },
        { "/v1/features", """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "SUM_WITH_MULTIPLIER", "field": "f", "multiplier": "x"}}}""", "Invalid value for field: meter.aggregation.multiplier" },
        { "/v1/secrets/api/keys", """{"name": "k", "rate_limits": {"events_per_minute": 1e400}}""", "Invalid value for field: rate_limits.events_per_minute" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task A_field_of_the_wrong_JSON_type_is_a_400_naming_it(string route, string json, string message)
    {
        using var tenant = await TenantAsync();

        var response = await tenant.PostJsonAsync(route, json);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, message);
    }

    [Theory]
    [InlineData("/v1/events?page_size=abc", "Invalid page_size: 1 to 50")]
    [InlineData("/v1/events?page_size=1e3", "Invalid page_size: 1 to 50")]
    [InlineData("/v1/customers?limit=x", "Invalid field: limit must be a whole number from 1 to 1000")]
    [InlineData("/v1/customers?offset=-1", "Invalid field: offset must be a whole number from 0 to 2147483647")]
    [InlineData("/v1/customers?offset=99999999999", "Invalid field: offset must be a whole number from 0 to 2147483647")]
    public async Task A_query_parameter_that_is_not_a_number_is_a_400_naming_it(string path, string message)
    {
        using var tenant = await TenantAsync();

        await (await tenant.Http.GetAsync(path)).AssertErrorAsync(HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task Error_messages_repeat_at_most_128_characters_of_a_client_value()
    {
        using var tenant = await TenantAsync();
        var longId = new string('z', 255);
        var longTime = "2025-" + new string('9', 60);

        var unknownCustomer = await (await tenant.PostJsonAsync("/v1/events", Event(customer: longId))).ReadJsonAsync(HttpStatusCode.BadRequest);
        var badTime = await (await tenant.PostJsonAsync("/v1/events", Event(extra: $", \"timestamp\": \"{longTime}{new string('9', 2000)}\""))).ReadJsonAsync(HttpStatusCode.BadRequest);
        var badZone = await (await tenant.PostJsonAsync("/v1/events/usage", $"{{\"event_name\": \"api.calls\", \"timezone\": \"{new string('Z', 64)}\"}}")).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Equal($"Customer with external_customer_id '{new string('z', 127)}…' not found", unknownCustomer.GetProperty("error").GetString());
        var timeMessage = badTime.GetProperty("error").GetString()!;
        Assert.StartsWith($"Invalid timestamp '{longTime}", timeMessage, StringComparison.Ordinal);
        Assert.True(timeMessage.Length < 128 + 80, timeMessage);
        Assert.Contains(new string('Z', 64), badZone.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static string Event(string eventName = "api.calls", string customer = "cust_1", string extra = "", string? properties = null) =>
        $"{{\"event_name\": \"{eventName}\", \"external_customer_id\": \"{customer}\"{extra}{(properties is null ? "" : $", \"properties\": {properties}")}}}";

    private static string Feature(string name = "f", string eventName = "e", string field = "credits") =>
        $"{{\"name\": \"{name}\", \"type\": \"metered\", \"meter\": {{\"event_name\": \"{eventName}\", \"aggregation\": {{\"type\": \"SUM\", \"field\": \"{field}\"}}}}}}";

    private static string Properties(int keys) => JsonSerializer.Serialize(Enumerable.Range(0, keys).ToDictionary(i => $"k{i}", i => i));

    /// <summary>Properties nesting <paramref name="levels"/> levels: the properties object itself is the first.</summary>
    private static string Nested(int levels) => string.Concat(Enumerable.Repeat("{\"a\": ", levels - 1)) + "{\"a\": 1}" + new string('}', levels - 1);

    private async Task<TenantClient> TenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        return tenant;
    }
}
