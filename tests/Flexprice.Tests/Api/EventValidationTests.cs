using System.Globalization;
using System.Net;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.Api;

/// <summary>Validation at the door: every bad event is refused with 400 and the spec's message, and nothing of it is counted.</summary>
[Collection(ApiCollection.Name)]
public sealed class EventValidationTests(ApiFactory api)
{
    public static TheoryData<string> MissingEventName => new()
    {
        """{"external_customer_id": "cust_1"}""",
        """{"event_name": null, "external_customer_id": "cust_1"}""",
        """{"event_name": "", "external_customer_id": "cust_1"}""",
        """{"event_name": "   ", "external_customer_id": "cust_1"}""",
    };

    public static TheoryData<string> MissingCustomer => new()
    {
        """{"event_name": "api.calls"}""",
        """{"event_name": "api.calls", "external_customer_id": null}""",
        """{"event_name": "api.calls", "external_customer_id": ""}""",
        """{"event_name": "api.calls", "external_customer_id": " \t "}""",
    };

    public static TheoryData<string> NotJson => new()
    {
        """{"event_name": "api.calls", "external_customer_id": """,
        """{"event_name": 'api.calls'}""",
        "not json at all",
        """[{"event_name": "api.calls", "external_customer_id": "cust_1"}]""",
        "\"api.calls\"",
        "42",
        "null",
        "",
        """{"event_name": "api.calls", "external_customer_id": "cust_1"} trailing""",
        """{"event_name": "api.calls", "external_customer_id": "cust_1"}{"event_name": "api.calls", "external_customer_id": "cust_1"}""",
    };

    [Theory]
    [MemberData(nameof(MissingEventName))]
    public async Task Missing_event_name_is_refused_with_the_spec_message(string json)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", json);

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: event_name");
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Theory]
    [MemberData(nameof(MissingCustomer))]
    public async Task Missing_external_customer_id_is_refused_with_the_spec_message(string json)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", json);

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: external_customer_id");
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Fact]
    public async Task Unknown_event_name_is_refused_with_the_spec_message()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", """{"event_name": "unknown.event", "external_customer_id": "cust_1"}""");

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Event name 'unknown.event' not found");
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Fact]
    public async Task Event_name_matches_exactly_not_ignoring_case()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", """{"event_name": "API.Calls", "external_customer_id": "cust_1"}""");

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Event name 'API.Calls' not found");
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Fact]
    public async Task Unknown_customer_is_refused_with_the_spec_message()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", """{"event_name": "api.calls", "external_customer_id": "invalid_id"}""");

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Customer with external_customer_id 'invalid_id' not found");
            await AssertNothingCountedAsync(tenant);
            await (await tenant.GetUsageAsync("invalid_id")).AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'invalid_id' not found");
        }
    }

    [Fact]
    public async Task Customer_created_after_a_refused_event_is_found_at_once()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            const string json = """{"event_name": "api.calls", "external_customer_id": "late_customer"}""";
            await (await tenant.PostJsonAsync("/v1/events", json)).ReadJsonAsync(HttpStatusCode.BadRequest);

            await tenant.CreateCustomerAsync("late_customer");

            await (await tenant.PostJsonAsync("/v1/events", json)).ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal(1m, (await tenant.UsageAsync("late_customer"))["calls"].GetProperty("value").GetDecimal());
        }
    }

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task Malformed_or_non_object_body_is_invalid_json(string body)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.PostJsonAsync("/v1/events", body);

            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid JSON format");
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Fact]
    public async Task Body_starting_with_a_byte_order_mark_is_read_as_json()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            // A declared length (the body read from the request's pipe) and a chunked body (read as a stream): both skip it.
            byte[] body = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("""{"event_name": "api.calls", "external_customer_id": "cust_1"}""")];
            var sized = new ByteArrayContent(body);
            sized.Headers.ContentType = new("application/json");
            await (await tenant.Http.PostAsync("/v1/events", sized)).ReadJsonAsync(HttpStatusCode.Accepted);
            var chunked = new StreamContent(new MemoryStream(body));
            chunked.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            await (await tenant.Http.SendAsync(request)).ReadJsonAsync(HttpStatusCode.Accepted);

            Assert.Equal(2m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
        }
    }

    [Fact]
    public async Task The_202_of_a_single_event_is_the_body_the_frameworks_serializer_writes()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            // Characters JSON writers may or may not escape: the answer must be byte for byte what the app's own JSON options give.
            const string Id = "évt+<1>&'";
            var response = await tenant.Http.PostAsync("/v1/events", new StringContent(
                $$"""{"event_id": "{{Id}}", "event_name": "api.calls", "external_customer_id": "cust_1"}""", System.Text.Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var options = api.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            Assert.Equal(JsonSerializer.Serialize(new Flexprice.Api.Events.EventAcceptedResponse(Id, Flexprice.Api.Events.EventsApi.EventAccepted), options), text);
            Assert.Equal(Id, JsonDocument.Parse(text).RootElement.GetProperty("event_id").GetString());
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(text), response.Content.Headers.ContentLength);
        }
    }

    [Fact]
    public async Task Body_without_content_type_is_still_read_as_json()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var response = await tenant.Http.PostAsync("/v1/events", new StringContent("""{"event_name": "api.calls", "external_customer_id": "cust_1"}"""));

            await response.ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
        }
    }

    [Theory]
    [InlineData("""{"event_name": 42, "external_customer_id": "cust_1"}""", "event_name")]
    [InlineData("""{"event_name": ["api.calls"], "external_customer_id": "cust_1"}""", "event_name")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": 1}""", "external_customer_id")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "event_id": 7}""", "event_id")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "timestamp": 1724310349}""", "timestamp")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "source": {"a": 1}}""", "source")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": "credits=2"}""", "properties")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": [1, 2]}""", "properties")]
    public async Task Field_of_the_wrong_type_is_refused_naming_the_field(string json, string field)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var body = await (await tenant.PostJsonAsync("/v1/events", json)).ReadJsonAsync(HttpStatusCode.BadRequest);

            Assert.Contains(field, body.GetProperty("error").GetString());
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Fact]
    public async Task Over_long_ids_are_refused()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var longId = new string('x', 256);

            await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", event_id = longId }))
                .ReadJsonAsync(HttpStatusCode.BadRequest);
            await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = longId }))
                .ReadJsonAsync(HttpStatusCode.BadRequest);
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2025-13-45T07:05:49Z")]
    [InlineData("22/08/2025 07:05")]
    [InlineData("2025-08-22T07:05:49.441Zjunk")]
    public async Task Unreadable_timestamp_is_refused(string timestamp)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var body = await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", timestamp }))
                .ReadJsonAsync(HttpStatusCode.BadRequest);

            Assert.Contains("timestamp", body.GetProperty("error").GetString());
            await AssertNothingCountedAsync(tenant);
        }
    }

    [Theory]
    [InlineData("2025-08-22T07:05:49.441Z")]
    [InlineData("2025-08-22T07:05:49Z")]
    [InlineData("2025-08-22T09:05:49.441+02:00")]
    [InlineData("2019-01-01T00:00:00.000000Z")]
    public async Task Iso_8601_timestamps_in_the_past_are_accepted_as_backfill(string timestamp)
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", timestamp }))
                .ReadJsonAsync(HttpStatusCode.Accepted);

            Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
        }
    }

    [Fact]
    public async Task Timestamp_more_than_five_minutes_ahead_is_refused_and_slight_skew_is_accepted()
    {
        var (tenant, _) = await TenantWithCountFeatureAsync();
        using (tenant)
        {
            var now = DateTime.UtcNow;
            var farFuture = now.AddMinutes(6).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var nextYear = now.AddYears(1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var skewed = now.AddMinutes(2).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

            var refused = await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = farFuture }))
                .ReadJsonAsync(HttpStatusCode.BadRequest);
            await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = nextYear }))
                .ReadJsonAsync(HttpStatusCode.BadRequest);
            Assert.Contains("timestamp", refused.GetProperty("error").GetString());
            await AssertNothingCountedAsync(tenant);

            await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = skewed }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
        }
    }

    [Theory]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1"}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": null}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {}}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"credit": 2}}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"Credits": 2}}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"credits": null}}""")]
    public async Task Sum_event_without_its_field_is_refused(string json)
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_1");

        var body = await (await tenant.PostJsonAsync("/v1/events", json)).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Contains("credits", body.GetProperty("error").GetString());
        Assert.Equal(0, (await tenant.UsageAsync("cust_1"))["credits"].GetProperty("event_count").GetInt64());
    }

    [Theory]
    [InlineData("SUM", "true")]
    [InlineData("SUM", "\"two\"")]
    [InlineData("SUM", "\"\"")]
    [InlineData("SUM", "\"NaN\"")]
    [InlineData("SUM", "{\"value\": 2}")]
    [InlineData("SUM", "[2]")]
    [InlineData("SUM", "1e400")]
    [InlineData("MAX", "false")]
    [InlineData("MAX", "\"12abc\"")]
    [InlineData("MAX", "{}")]
    [InlineData("LATEST", "true")]
    [InlineData("LATEST", "[\"a\"]")]
    [InlineData("LATEST", "{\"a\": 1}")]
    [InlineData("COUNT_UNIQUE", "{\"id\": 1}")]
    [InlineData("COUNT_UNIQUE", "[1]")]
    public async Task Property_of_the_wrong_kind_is_refused(string aggregation, string value)
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", aggregation, "v", name: "feature");
        await tenant.CreateCustomerAsync("cust_1");

        var response = await tenant.PostJsonAsync("/v1/events", """{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"v": """ + value + "}}");

        var body = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'v'", body.GetProperty("error").GetString());
        Assert.Equal(0, (await tenant.UsageAsync("cust_1"))["feature"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Numeric_strings_are_accepted_for_sum_and_max()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "sum");
        await tenant.CreateFeatureAsync("model.usage", "MAX", "credits", name: "max");
        await tenant.CreateCustomerAsync("cust_1");
        object[] values = ["2.5", 1, "-0.75", "10", 3.25m, "1e1"];

        foreach (var value in values)
        {
            await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = value } }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
        }

        var numbers = values.Select(v => v is string s ? decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) : Convert.ToDecimal(v, CultureInfo.InvariantCulture)).ToList();
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(numbers.Sum(), usage["sum"].GetProperty("value").GetDecimal());
        Assert.Equal(numbers.Max(), usage["max"].GetProperty("value").GetDecimal());
        Assert.Equal(values.Length, usage["sum"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Latest_string_value_is_reported_as_a_string()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("plan.changed", "LATEST", "tier", name: "tier");
        await tenant.CreateCustomerAsync("cust_1");

        await (await tenant.PostEventAsync(new { event_name = "plan.changed", external_customer_id = "cust_1", timestamp = "2025-01-01T00:00:00Z", properties = new { tier = "pro" } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(new { event_name = "plan.changed", external_customer_id = "cust_1", timestamp = "2024-01-01T00:00:00Z", properties = new { tier = "free" } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(new { event_name = "plan.changed", external_customer_id = "cust_1", timestamp = "2025-01-01T00:00:00Z", properties = new { tier = "007" } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        // Greatest timestamp wins; of the two at 2025-01-01 the later ingested. "007" stays a string, leading zeros and all.
        var value = (await tenant.UsageAsync("cust_1"))["tier"].GetProperty("value");
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Equal("007", value.GetString());
    }

    [Fact]
    public async Task Latest_number_is_reported_as_a_number()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("seats.set", "LATEST", "seats", name: "seats");
        await tenant.CreateCustomerAsync("cust_1");

        await (await tenant.PostEventAsync(new { event_name = "seats.set", external_customer_id = "cust_1", timestamp = "2025-03-01T00:00:00Z", properties = new { seats = 12.5m } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(new { event_name = "seats.set", external_customer_id = "cust_1", timestamp = "2025-02-01T00:00:00Z", properties = new { seats = 99 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        var value = (await tenant.UsageAsync("cust_1"))["seats"].GetProperty("value");
        Assert.Equal(JsonValueKind.Number, value.ValueKind);
        Assert.Equal(12.5m, value.GetDecimal());
    }

    [Fact]
    public async Task Count_unique_treats_an_escaped_string_as_the_same_value()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("user.login", "COUNT_UNIQUE", "user_id", name: "users");
        await tenant.CreateCustomerAsync("cust_1");

        // The same user, as a JavaScript client and as Python's json.dumps (ensure_ascii) write it.
        await (await tenant.PostJsonAsync("/v1/events", """{"event_name": "user.login", "external_customer_id": "cust_1", "properties": {"user_id": "José"}}"""))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostJsonAsync("/v1/events", """{"event_name": "user.login", "external_customer_id": "cust_1", "properties": {"user_id": "Jos\u00e9"}}"""))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["users"].GetProperty("value").GetDecimal());
    }

    /// <summary>A fresh tenant with a COUNT feature "calls" over <c>api.calls</c> and a customer <c>cust_1</c>.</summary>
    private async Task<(TenantClient Tenant, JsonElement Feature)> TenantWithCountFeatureAsync()
    {
        var tenant = await api.NewTenantAsync();
        var feature = await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        return (tenant, feature);
    }

    private static async Task AssertNothingCountedAsync(TenantClient tenant)
    {
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(0m, usage["calls"].GetProperty("value").GetDecimal());
        Assert.Equal(0, usage["calls"].GetProperty("event_count").GetInt64());
    }
}
