using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Sdk;

/// <summary>The routes and fields Flexprice's SDKs use beyond the spec's ingestion: shapes, searches, lookups and customer_id.</summary>
[Collection(ApiCollection.Name)]
public sealed class FlexpriceRoutesTests(ApiFactory api)
{
    private static readonly DateTime Day = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Customer_id_names_one_customer_on_every_read_route_and_an_unknown_one_is_400()
    {
        using var tenant = await api.NewTenantAsync();
        using var other = await api.NewTenantAsync();
        var feature = await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        var a = (await tenant.CreateCustomerAsync("a")).GetProperty("id").GetString()!;
        await tenant.CreateCustomerAsync("b");
        var foreign = (await other.CreateCustomerAsync("a")).GetProperty("id").GetString()!;
        await (await tenant.PostBulkAsync(
            new { event_name = "model.usage", external_customer_id = "a", properties = new { credits = 2 }, timestamp = Day.AddHours(1).ToString("O") },
            new { event_name = "model.usage", external_customer_id = "b", properties = new { credits = 5 }, timestamp = Day.AddHours(2).ToString("O") })).ReadJsonAsync(HttpStatusCode.Accepted);
        var range = new { start_time = Day.ToString("O"), end_time = Day.AddDays(1).ToString("O") };
        var meterId = feature.GetProperty("meter_id").GetString()!;

        async Task<JsonElement> Post(string path, object body, HttpStatusCode status = HttpStatusCode.OK) => await (await tenant.Http.PostAsJsonAsync(path, body)).ReadJsonAsync(status);

        // Answered for that customer, never for the whole tenant (2, not 7).
        var usage = await Post("/v1/events/usage", new { event_name = "model.usage", aggregation_type = "SUM", property_name = "credits", customer_id = a, range.start_time, range.end_time });
        Assert.Equal(2m, usage.GetProperty("value").GetDecimal());
        var meter = await Post("/v1/events/usage/meter", new { meter_id = meterId, customer_id = a, range.start_time, range.end_time });
        Assert.Equal(2m, meter.GetProperty("value").GetDecimal());
        var both = await Post("/v1/events/usage/meter", new { meter_id = meterId, customer_id = a, external_customer_id = "a", range.start_time, range.end_time });
        Assert.Equal(2m, both.GetProperty("value").GetDecimal());
        var listed = await Post("/v1/events/query", new { customer_id = a });
        Assert.Equal(["a"], listed.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("external_customer_id").GetString()));
        var analytics = await Post("/v1/events/analytics", new { customer_id = a, range.start_time, range.end_time });
        Assert.Equal("2", analytics.GetProperty("items")[0].GetProperty("total_usage").GetString());
        var summary = await (await tenant.Http.GetAsync($"/v1/customers/usage?customer_id={a}&start_time={range.start_time}&end_time={range.end_time}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("2", summary.GetProperty("features")[0].GetProperty("current_usage").GetString());

        // Unknown here (another tenant's customer included): 400, on every route.
        foreach (var unknown in new[] { "cust_nobody", foreign })
        {
            var message = $"Customer with customer_id '{unknown}' not found";
            await (await tenant.Http.PostAsJsonAsync("/v1/events/usage", new { event_name = "model.usage", customer_id = unknown })).AssertErrorAsync(HttpStatusCode.BadRequest, message);
            await (await tenant.Http.PostAsJsonAsync("/v1/events/usage/meter", new { meter_id = meterId, customer_id = unknown })).AssertErrorAsync(HttpStatusCode.BadRequest, message);
            await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { customer_id = unknown })).AssertErrorAsync(HttpStatusCode.BadRequest, message);
            await (await tenant.Http.GetAsync($"/v1/events?customer_id={unknown}")).AssertErrorAsync(HttpStatusCode.BadRequest, message);
            await (await tenant.Http.PostAsJsonAsync("/v1/events/analytics", new { customer_id = unknown })).AssertErrorAsync(HttpStatusCode.BadRequest, message);
            await (await tenant.Http.GetAsync($"/v1/customers/usage?customer_id={unknown}")).AssertErrorAsync(HttpStatusCode.BadRequest, message);
        }

        // Two ids of different customers: refused, not one of them picked.
        var mismatch = await tenant.Http.PostAsJsonAsync("/v1/events/usage", new { event_name = "model.usage", customer_id = a, external_customer_id = "b" });
        await mismatch.AssertErrorAsync(HttpStatusCode.BadRequest, $"Invalid customer: customer_id '{a}' is not the customer with external_customer_id 'b'");
        await (await tenant.Http.GetAsync($"/v1/customers/usage?customer_id={a}&customer_lookup_key=b")).ReadJsonAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Every_key_of_Flexprice_s_models_is_written_null_included_while_the_202_body_keeps_the_spec_s_shape()
    {
        using var tenant = await api.NewTenantAsync();
        var customer = await tenant.CreateCustomerAsync("bare");
        foreach (var key in new[] { "email", "metadata", "address_line1", "address_line2", "address_city", "address_state", "address_postal_code", "address_country", "environment_id", "parent_customer", "parent_customer_id", "created_by", "updated_by" })
        {
            Assert.True(customer.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Null, $"customer.{key}: {customer}");
        }

        Assert.Equal("published", customer.GetProperty("status").GetString());
        Assert.Equal(tenant.TenantId, customer.GetProperty("tenant_id").GetString());
        Assert.Equal(customer.GetProperty("created_at").GetDateTime(), customer.GetProperty("updated_at").GetDateTime());

        var feature = await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        foreach (var key in new[] { "lookup_key", "description", "unit_singular", "unit_plural", "metadata", "alert_settings", "environment_id" })
        {
            Assert.True(feature.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Null, $"feature.{key}: {feature}");
        }

        var meter = feature.GetProperty("meter");
        Assert.Equal("published", meter.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, meter.GetProperty("aggregation").GetProperty("multiplier").ValueKind);
        Assert.Equal(JsonValueKind.Array, meter.GetProperty("filters").ValueKind);

        var accepted = await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "bare" })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(["event_id", "message"], accepted.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var listed = await (await tenant.PostJsonAsync("/v1/events/query", "{}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("events")[0].GetProperty("source").ValueKind);
        Assert.Equal(0, listed.GetProperty("offset").GetInt32());
        var empty = await (await tenant.PostJsonAsync("/v1/events/query", """{"event_name": "nothing"}""")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("iter_first_key").ValueKind);
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("iter_last_key").ValueKind);
    }

    [Fact]
    public async Task Customers_are_found_by_external_id_and_by_search()
    {
        using var tenant = await api.NewTenantAsync();
        using var other = await api.NewTenantAsync();
        await other.CreateCustomerAsync("acme eu 1");
        var created = await (await tenant.Http.PostAsJsonAsync("/v1/customers", new
        {
            external_id = "acme eu 1", name = "Acme", email = "Billing@Acme.example", address_line1 = "1 Main St", address_city = "Berlin", address_country = "DE",
            metadata = new { plan = "pro" },
        })).ReadJsonAsync(HttpStatusCode.Created);
        foreach (var (external, name) in new[] { ("c2", "Delta"), ("c3", "Bravo"), ("c4", "Charlie") })
        {
            await (await tenant.Http.PostAsJsonAsync("/v1/customers", new { external_id = external, name, email = $"{external}@example.com" })).ReadJsonAsync(HttpStatusCode.Created);
        }

        var found = await (await tenant.Http.GetAsync($"/v1/customers/external/{Uri.EscapeDataString("acme eu 1")}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(created.GetProperty("id").GetString(), found.GetProperty("id").GetString());
        Assert.Equal("Berlin", found.GetProperty("address_city").GetString());
        Assert.Equal("1 Main St", found.GetProperty("address_line1").GetString());
        await (await tenant.Http.GetAsync("/v1/customers/external/nobody")).AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'nobody' not found");

        async Task<List<string>> Search(string json, int total)
        {
            var page = await (await tenant.PostJsonAsync("/v1/customers/search", json)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(total, page.GetProperty("pagination").GetProperty("total").GetInt64());
            return [.. page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("external_id").GetString()!)];
        }

        Assert.Equal(["c4", "c3", "c2", "acme eu 1"], await Search("{}", 4));
        Assert.Equal(["c2", "c3"], await Search("""{"external_ids": ["c2", "c3", "c9"], "order": "asc"}""", 2));
        Assert.Equal(["acme eu 1"], await Search("""{"email": "billing@acme.EXAMPLE"}""", 1));
        var acme = created.GetProperty("id").GetString();
        Assert.Equal(["acme eu 1"], await Search($$"""{"customer_ids": ["{{acme}}", "cust_x"]}""", 1));
        Assert.Empty(await Search($$"""{"customer_ids": ["{{acme}}"], "external_id": "c2"}""", 0));
        Assert.Equal(["acme eu 1", "c3", "c4"], await Search("""{"sort": [{"field": "name", "direction": "asc"}], "limit": 3}""", 4));
        Assert.Equal(["c4", "c3"], await Search("""{"sort": [{"field": "name"}], "limit": 2, "offset": 1}""", 4));
        Assert.Empty(await Search("""{"status": "archived"}""", 0));
        Assert.Empty(await Search("""{"parent_customer_ids": ["cust_x"]}""", 0));
        Assert.Equal(4, (await Search("""{"status": "published", "expand": "parent_customer", "filters": []}""", 4)).Count);

        await (await tenant.PostJsonAsync("/v1/customers/search", """{"filters": [{"field": "name", "operator": "eq", "value": {"string": "x"}}]}"""))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: filters (filter conditions) are not supported here; use the named criteria");
        await (await tenant.PostJsonAsync("/v1/customers/search", """{"limit": "10"}""")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: limit must be a whole number from 0 to 1000");
        await (await tenant.PostJsonAsync("/v1/customers/search", """{"external_ids": "c2"}""")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: external_ids must be a list of strings");
        await (await tenant.PostJsonAsync("/v1/customers/search", """{"sort": [{"field": "secret"}]}""")).ReadJsonAsync(HttpStatusCode.BadRequest);
        await (await tenant.PostJsonAsync("/v1/customers/search", """{"order": "up"}""")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid order 'up': use asc or desc");
    }

    [Fact]
    public async Task Features_keep_Flexprice_s_descriptive_fields_and_are_searched()
    {
        using var tenant = await api.NewTenantAsync();
        async Task<JsonElement> Create(object body, HttpStatusCode status = HttpStatusCode.Created) => await (await tenant.Http.PostAsJsonAsync("/v1/features", body)).ReadJsonAsync(status);

        // The SDKs send the multiplier as a decimal string.
        var tokens = await Create(new
        {
            name = "Tokens", type = "metered", lookup_key = "tokens", description = "Model tokens", unit_singular = "token", unit_plural = "tokens", metadata = new { team = "ai" },
            meter = new { name = "Tokens", event_name = "model.usage", aggregation = new { type = "SUM_WITH_MULTIPLIER", field = "tokens", multiplier = "0.001" }, reset_usage = "BILLING_PERIOD" },
        });
        Assert.Equal("0.001", tokens.GetProperty("meter").GetProperty("aggregation").GetProperty("multiplier").GetString());
        Assert.Equal("tokens", tokens.GetProperty("lookup_key").GetString());
        Assert.Equal("Model tokens", tokens.GetProperty("description").GetString());
        Assert.Equal("ai", tokens.GetProperty("metadata").GetProperty("team").GetString());
        var calls = await Create(new { name = "API calls", type = "metered", lookup_key = "calls", meter = new { event_name = "api.calls", aggregation = new { type = "COUNT" } } });
        var seats = await Create(new { name = "Seats", type = "metered", meter = new { event_name = "seats", aggregation = new { type = "MAX", field = "n" } } });

        // A lookup key names one feature: a second is refused, and nothing is created.
        var duplicate = await tenant.Http.PostAsJsonAsync("/v1/features", new { name = "Again", type = "metered", lookup_key = "tokens", meter = new { event_name = "x", aggregation = new { type = "COUNT" } } });
        await duplicate.AssertErrorAsync(HttpStatusCode.Conflict, "Feature with lookup_key 'tokens' already exists");
        await (await tenant.Http.PostAsJsonAsync("/v1/features", new { name = "Bad", type = "metered", metadata = "x", meter = new { event_name = "x", aggregation = new { type = "COUNT" } } }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: metadata must be an object");
        var all = await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, all.GetProperty("items").GetArrayLength());

        async Task<List<string>> Search(object body, int total)
        {
            var page = await (await tenant.Http.PostAsJsonAsync("/v1/features/search", body)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(total, page.GetProperty("pagination").GetProperty("total").GetInt64());
            return [.. page.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("name").GetString()!)];
        }

        Assert.Equal(["Seats", "API calls", "Tokens"], await Search(new { }, 3));
        Assert.Equal(["API calls", "Tokens"], await Search(new { lookup_keys = new[] { "tokens", "calls", "none" }, order = "desc" }, 2));
        Assert.Equal(["Tokens"], await Search(new { lookup_key = "tokens" }, 1));
        Assert.Equal(["Seats"], await Search(new { meter_ids = new[] { seats.GetProperty("meter_id").GetString() } }, 1));
        Assert.Equal(["API calls"], await Search(new { feature_ids = new[] { calls.GetProperty("id").GetString(), "feat_x" }, name_contains = "CALL" }, 1));
        Assert.Equal(["Tokens", "Seats"], await Search(new { sort = new[] { new { field = "name", direction = "desc" } }, limit = 2 }, 3));
        Assert.Equal(["Tokens"], await Search(new { sort = new[] { new { field = "name", direction = "asc" } }, offset = 2 }, 3));
        Assert.Empty(await Search(new { status = "deleted" }, 0));
        await (await tenant.PostJsonAsync("/v1/features/search", """{"feature_ids": [1]}""")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: feature_ids must be a list of strings");
    }

    [Fact]
    public async Task Event_query_lists_as_the_get_route_does_with_Flexprice_s_body()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("a.event", "COUNT");
        await tenant.CreateFeatureAsync("b.event", "COUNT");
        await tenant.CreateCustomerAsync("x");
        await tenant.CreateCustomerAsync("y");
        static string NameOf(int i) => i % 3 == 0 ? "b.event" : "a.event";
        static string CustomerOf(int i) => i % 2 == 0 ? "x" : "y";
        var sent = Enumerable.Range(0, 17).Select(i => (object)new
        {
            event_id = $"q{i}",
            event_name = NameOf(i),
            external_customer_id = CustomerOf(i),
            timestamp = Day.AddMinutes(i % 5).ToString("O"),
            properties = new { model = i % 4 == 0 ? "gpt-4o" : "o1", n = i % 3 },
        }).ToArray();
        var nameOfKey = Enumerable.Range(0, 17).ToDictionary(i => $"{CustomerOf(i)}/q{i}", NameOf);
        await (await tenant.PostBulkAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);

        async Task<List<string>> All(Func<string?, Task<JsonElement>> page)
        {
            var ids = new List<string>();
            string? key = null;
            while (true)
            {
                var body = await page(key);
                Assert.Equal(17, body.GetProperty("total_count").GetInt64());
                ids.AddRange(body.GetProperty("events").EnumerateArray().Select(e => $"{e.GetProperty("external_customer_id").GetString()}/{e.GetProperty("id").GetString()}"));
                if (!body.GetProperty("has_more").GetBoolean())
                {
                    return ids;
                }

                key = body.GetProperty("iter_last_key").GetString();
            }
        }

        // The same listing through either route, page by page.
        var viaGet = await All(async key => await (await tenant.Http.GetAsync($"/v1/events?page_size=4{(key is null ? "" : $"&iter_last_key={key}")}")).ReadJsonAsync(HttpStatusCode.OK));
        var viaPost = await All(async key => await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 4, iter_last_key = key })).ReadJsonAsync(HttpStatusCode.OK));
        Assert.Equal(17, viaGet.Distinct().Count());
        Assert.Equal(viaGet, viaPost);

        // Oldest first is the reverse; by event name, a's before b's, pages without gaps or repeats.
        var ascending = await All(async key => await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 5, order = "asc", iter_last_key = key })).ReadJsonAsync(HttpStatusCode.OK));
        Assert.Equal(Enumerable.Reverse(viaGet), ascending);
        var byName = await All(async key => await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 3, sort = "event_name", order = "asc", iter_last_key = key })).ReadJsonAsync(HttpStatusCode.OK));
        Assert.Equal(17, byName.Distinct().Count());
        var names = byName.Select(id => nameOfKey[id]).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);

        // A page back from the second page's first key is the first page.
        var first = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 4 })).ReadJsonAsync(HttpStatusCode.OK);
        var second = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 4, iter_last_key = first.GetProperty("iter_last_key").GetString() })).ReadJsonAsync(HttpStatusCode.OK);
        var back = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { page_size = 4, iter_first_key = second.GetProperty("iter_first_key").GetString() })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("events").ToString(), back.GetProperty("events").ToString());

        // Filters: properties (text of the value), offset, event name, time.
        var gpt = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { property_filters = new Dictionary<string, object> { ["model"] = new[] { "gpt-4o" }, ["n"] = new[] { "0", "1" } } })).ReadJsonAsync(HttpStatusCode.OK);
        var expected = Enumerable.Range(0, 17).Count(i => i % 4 == 0 && i % 3 is 0 or 1);
        Assert.Equal(expected, gpt.GetProperty("total_count").GetInt64());
        Assert.All(gpt.GetProperty("events").EnumerateArray(), e => Assert.Equal("gpt-4o", e.GetProperty("properties").GetProperty("model").GetString()));
        var skipped = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { offset = 15 })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(viaGet.Skip(15), skipped.GetProperty("events").EnumerateArray().Select(e => $"{e.GetProperty("external_customer_id").GetString()}/{e.GetProperty("id").GetString()}"));
        Assert.Equal(15, skipped.GetProperty("offset").GetInt32());
        var window = await (await tenant.Http.PostAsJsonAsync("/v1/events/query", new { event_name = "b.event", start_time = Day.AddMinutes(1).ToString("O"), end_time = Day.AddMinutes(3).ToString("O") })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(Enumerable.Range(0, 17).Count(i => i % 3 == 0 && i % 5 is 1 or 2), window.GetProperty("total_count").GetInt64());

        foreach (var (json, message) in new[]
        {
            ("""{"sort": "amount"}""", "Invalid sort 'amount': use timestamp or event_name"),
            ("""{"order": "sideways"}""", "Invalid order 'sideways': use asc or desc"),
            ("""{"page_size": 51}""", "Invalid field: page_size must be a whole number from 0 to 50"),
            ("""{"page_size": "5"}""", "Invalid field: page_size must be a whole number from 0 to 50"),
            ("""{"property_filters": ["model"]}""", "Invalid field: property_filters must be an object of lists of strings"),
            ("""{"event_name": 5}""", "Invalid field: event_name must be a string"),
            ("""{"iter_last_key": "garbage"}""", "Invalid iter_first_key or iter_last_key: pass a key from a previous page"),
            ("""{"start_time": "yesterday"}""", "Invalid start_time 'yesterday': use RFC 3339, e.g. 2025-08-22T07:05:49Z"),
        })
        {
            await (await tenant.PostJsonAsync("/v1/events/query", json)).AssertErrorAsync(HttpStatusCode.BadRequest, message);
        }
    }

    [Fact]
    public async Task Get_event_answers_what_it_fed_as_processed_events()
    {
        using var tenant = await api.NewTenantAsync();
        var credits = await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        var calls = await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "calls");
        var customer = (await tenant.CreateCustomerAsync("a")).GetProperty("id").GetString()!;
        await (await tenant.PostEventAsync(new { event_id = "run-1", event_name = "model.usage", external_customer_id = "a", properties = new { credits = "2.50" } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.Http.GetAsync("/v1/events/run-1")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("run-1", body.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal(customer, body.GetProperty("event").GetProperty("customer_id").GetString());
        Assert.Equal("processed", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("debug_tracker").ValueKind);
        var processed = body.GetProperty("processed_events").EnumerateArray().ToDictionary(p => p.GetProperty("feature_id").GetString()!);
        Assert.Equal("2.5", processed[credits.GetProperty("id").GetString()!].GetProperty("qty_total").GetString());
        Assert.Equal("1", processed[calls.GetProperty("id").GetString()!].GetProperty("qty_total").GetString());
        Assert.All(processed.Values, p => Assert.Equal(customer, p.GetProperty("customer_id").GetString()));
        Assert.Equal(credits.GetProperty("meter_id").GetString(), processed[credits.GetProperty("id").GetString()!].GetProperty("meter_id").GetString());
        Assert.Equal(2, body.GetProperty("features").GetArrayLength());
        await (await tenant.Http.GetAsync("/v1/events/nope")).AssertErrorAsync(HttpStatusCode.NotFound, "Event 'nope' not found");
    }

    [Fact]
    public async Task Key_creation_answers_the_key_under_secret_too_and_refuses_what_keys_here_cannot_be()
    {
        using var tenant = await api.NewTenantAsync();
        var created = await (await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "sdk", type = "private_key" })).ReadJsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret");
        Assert.Equal(created.GetProperty("id").GetString(), secret.GetProperty("id").GetString());
        Assert.Equal(created.GetProperty("display_id").GetString(), secret.GetProperty("display_id").GetString());
        Assert.Equal("sdk", secret.GetProperty("name").GetString());
        Assert.Equal("private_key", secret.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, secret.GetProperty("expires_at").ValueKind);
        Assert.False(secret.TryGetProperty("api_key", out _));

        await (await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "later", type = "private_key", expires_at = "2030-01-01T00:00:00Z" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: expires_at: API keys here do not expire; revoke them instead (DELETE /v1/secrets/api/keys/{id})");
        await (await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "pk", type = "publishable_key" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid type 'publishable_key': only private_key API keys exist here");
    }

    [Fact]
    public async Task Summary_and_analytics_refuse_what_they_cannot_answer()
    {
        using var tenant = await api.NewTenantAsync();
        var feature = await tenant.CreateFeatureAsync("e", "COUNT", name: "e");
        await tenant.CreateCustomerAsync("a");

        await (await tenant.Http.GetAsync("/v1/customers/usage")).AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: customer_id or customer_lookup_key");
        await (await tenant.Http.GetAsync("/v1/customers/usage?customer_lookup_key=nobody")).AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'nobody' not found");
        await (await tenant.Http.GetAsync("/v1/customers/usage?customer_lookup_key=a&subscription_ids=sub_1")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: subscription_ids: there are no subscriptions here; leave it out");
        await (await tenant.Http.GetAsync("/v1/customers/usage?customer_lookup_key=a&feature_ids=feat_x")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: feature_ids: feature 'feat_x' not found");
        await (await tenant.Http.GetAsync("/v1/customers/usage?customer_lookup_key=a&feature_lookup_keys=x")).AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid field: feature_lookup_keys: no feature has lookup_key 'x'");
        var chosen = await (await tenant.Http.GetAsync($"/v1/customers/usage?customer_lookup_key=a&feature_ids={feature.GetProperty("id").GetString()},{feature.GetProperty("id").GetString()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, chosen.GetProperty("features").GetArrayLength());

        foreach (var (json, status, message) in new[]
        {
            ("{}", HttpStatusCode.BadRequest, "Missing required field: external_customer_id"),
            ("""{"external_customer_id": "nobody"}""", HttpStatusCode.NotFound, "Customer with external_customer_id 'nobody' not found"),
            ("""{"external_customer_id": "a", "sources": ["api"]}""", HttpStatusCode.BadRequest, "Invalid field: sources: usage here is not kept by source; leave it out"),
            ("""{"external_customer_id": "a", "group_by": ["source"]}""", HttpStatusCode.BadRequest, "Invalid group_by 'source': analytics here are grouped by feature_id only"),
            ("""{"external_customer_id": "a", "feature_ids": ["feat_x"]}""", HttpStatusCode.BadRequest, "Invalid field: feature_ids: feature 'feat_x' not found"),
            ("""{"external_customer_id": "a", "window_size": "YEAR"}""", HttpStatusCode.BadRequest, "Invalid window_size 'YEAR': use one of MINUTE, 15MIN, 30MIN, HOUR, 3HOUR, 6HOUR, 12HOUR, DAY, WEEK, MONTH"),
            ("""{"external_customer_id": 7}""", HttpStatusCode.BadRequest, "Invalid field: external_customer_id must be a string"),
        })
        {
            await (await tenant.PostJsonAsync("/v1/events/analytics", json)).AssertErrorAsync(status, message);
        }
    }
}
