using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>
/// Retries without event ids are safe: with an <c>Idempotency-Key</c> header, the server-made ids of a request are
/// derived from (tenant, key, index), so the same request sent again stores nothing twice and gets the same answer;
/// another request with the key is 409. And the bulk answer asked for with <c>Prefer: return=representation</c>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyKeyTests(ApiFactory api)
{
    private const string Single = """{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"credits": 3}}""";
    private const string Bulk = """
        {"events": [
          {"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"credits": 1}},
          {"event_name": "model.usage", "external_customer_id": "cust_2", "properties": {"credits": 2}},
          {"event_name": "model.usage", "external_customer_id": "cust_1", "event_id": "mine", "properties": {"credits": 4}}
        ]}
        """;

    [Fact]
    public async Task A_single_event_retried_with_its_key_gets_the_same_id_and_is_counted_once()
    {
        using var tenant = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";

        var first = await (await SendAsync(tenant, "/v1/events", Single, key)).ReadJsonAsync(HttpStatusCode.Accepted);
        var again = await (await SendAsync(tenant, "/v1/events", Single, key)).ReadJsonAsync(HttpStatusCode.Accepted);
        var withoutKey = await (await SendAsync(tenant, "/v1/events", Single, null)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(first.GetRawText(), again.GetRawText());
        Assert.Matches($"^event_{SpecExamplesTests.UlidPattern}$", first.GetProperty("event_id").GetString());
        Assert.NotEqual(first.GetProperty("event_id").GetString(), withoutKey.GetProperty("event_id").GetString());
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(6m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(2, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task A_bulk_retried_with_its_key_gets_the_same_ids_and_is_counted_once()
    {
        using var tenant = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";

        var first = await (await SendAsync(tenant, "/v1/events/bulk", Bulk, key, representation: true)).ReadJsonAsync(HttpStatusCode.Accepted);
        var again = await (await SendAsync(tenant, "/v1/events/bulk", Bulk, key, representation: true)).ReadJsonAsync(HttpStatusCode.Accepted);

        var ids = first.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(ids, again.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("mine", ids[2]);
        Assert.Equal(0, first.GetProperty("duplicates").GetInt32());
        Assert.Equal(3, again.GetProperty("duplicates").GetInt32());
        Assert.Equal(5m, (await tenant.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(2m, (await tenant.UsageAsync("cust_2"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task A_key_used_again_with_another_request_is_409_and_stores_nothing()
    {
        using var tenant = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";
        await (await SendAsync(tenant, "/v1/events", Single, key)).ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var otherPayload = await SendAsync(tenant, "/v1/events", Single.Replace("3", "4", StringComparison.Ordinal), key);
        var otherRoute = await SendAsync(tenant, "/v1/events/bulk", $"{{\"events\": [{Single}]}}", key);
        var otherCustomer = await SendAsync(tenant, "/v1/events", Single.Replace("cust_1", "cust_2", StringComparison.Ordinal), key);

        await otherPayload.AssertErrorAsync(HttpStatusCode.Conflict, "Idempotency-Key was already used with a different request");
        Assert.Equal(HttpStatusCode.Conflict, otherRoute.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherCustomer.StatusCode);
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
        Assert.Equal(0m, (await tenant.UsageAsync("cust_2"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Keys_are_per_tenant()
    {
        using var one = await NewTenantAsync();
        using var other = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";

        await (await SendAsync(one, "/v1/events", Single, key)).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await SendAsync(other, "/v1/events", Single.Replace("3", "9", StringComparison.Ordinal), key)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(9m, (await other.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
    }

    [Theory]
    [InlineData("tab\there")]
    [InlineData("ünïcode")]
    public async Task A_malformed_key_is_400(string key)
    {
        using var tenant = await NewTenantAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(Single, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await tenant.Http.SendAsync(request);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid header: Idempotency-Key must be one value of 1 to 255 printable ASCII characters");
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_is_400()
    {
        using var tenant = await NewTenantAsync();

        var response = await SendAsync(tenant, "/v1/events", Single, new string('k', 256));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_bulk_answer_is_Flexprices_unless_the_client_prefers_the_representation()
    {
        using var tenant = await NewTenantAsync();

        var plain = await SendAsync(tenant, "/v1/events/bulk", Bulk, null);
        var represented = await SendAsync(tenant, "/v1/events/bulk", Bulk, null, representation: true);

        await plain.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("""{"message":"Events accepted for processing"}""", await plain.Content.ReadAsStringAsync());
        Assert.False(plain.Headers.Contains("Preference-Applied"));
        var body = await represented.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("return=representation", represented.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal(3, body.GetProperty("event_ids").GetArrayLength());
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
    }

    private static async Task<HttpResponseMessage> SendAsync(TenantClient tenant, string route, string json, string? key, bool representation = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        if (representation)
        {
            request.Headers.Add("Prefer", "return=representation");
        }

        return await tenant.Http.SendAsync(request);
    }

    private async Task<TenantClient> NewTenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_1");
        await tenant.CreateCustomerAsync("cust_2");
        return tenant;
    }
}
