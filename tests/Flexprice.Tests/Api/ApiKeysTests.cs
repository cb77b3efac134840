using System.Net;
using System.Net.Http.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>API keys (<c>/v1/secrets/api/keys</c>), tenants (<c>/v1/tenants</c>) and the 401 every /v1 route gives without a live key.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiKeysTests(ApiFactory api)
{
    private const string InvalidKey = "Invalid or missing API key";

    [Theory]
    [InlineData("POST", "/v1/events")]
    [InlineData("POST", "/v1/events/bulk")]
    [InlineData("GET", "/v1/customers")]
    [InlineData("POST", "/v1/customers")]
    [InlineData("GET", "/v1/customers/cust_1/usage")]
    [InlineData("GET", "/v1/features")]
    [InlineData("POST", "/v1/tenants")]
    [InlineData("GET", "/v1/secrets/api/keys")]
    [InlineData("DELETE", "/v1/secrets/api/keys/key_1")]
    [InlineData("POST", "/v1/events/query")]
    [InlineData("GET", "/v1/events/ev_1")]
    [InlineData("POST", "/v1/events/analytics")]
    [InlineData("GET", "/v1/customers/external/cust_1")]
    [InlineData("POST", "/v1/customers/search")]
    [InlineData("GET", "/v1/customers/usage?customer_lookup_key=cust_1")]
    [InlineData("POST", "/v1/features/search")]
    public async Task Every_v1_route_refuses_a_missing_or_unknown_key(string method, string path)
    {
        using var anonymous = api.AnonymousClient();
        using var blank = api.ClientWithKey("   ");
        using var unknown = api.ClientWithKey("sk_not_a_real_key");

        foreach (var client in new[] { anonymous, blank, unknown })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = method == "GET" ? null : new StringContent("""{"event_name": "api.calls", "external_customer_id": "cust_1"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            var response = await client.SendAsync(request);
            await response.AssertErrorAsync(HttpStatusCode.Unauthorized, InvalidKey);
        }
    }

    [Fact]
    public async Task Created_key_is_shown_once_and_works()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");

        var response = await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "ingestion" });

        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = body.GetProperty("id").GetString()!;
        var rawKey = body.GetProperty("api_key").GetString()!;
        Assert.Equal("ingestion", body.GetProperty("name").GetString());
        Assert.StartsWith("sk_", rawKey);
        Assert.StartsWith("key_", id);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("display_id").GetString()));
        Assert.DoesNotContain(rawKey, body.GetProperty("display_id").GetString());

        using var client = api.ClientWithKey(rawKey);
        var sent = await client.PostAsJsonAsync("/v1/events", new { event_name = "api.calls", external_customer_id = "cust_1" });
        await sent.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());

        var listText = await (await tenant.Http.GetAsync("/v1/secrets/api/keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(rawKey, listText);
        var list = await (await tenant.Http.GetAsync("/v1/secrets/api/keys")).ReadJsonAsync(HttpStatusCode.OK);
        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Contains(items, k => k.GetProperty("id").GetString() == id && k.GetProperty("status").GetString() == "active");
        Assert.All(items, k => Assert.False(k.TryGetProperty("api_key", out _)));
    }

    [Fact]
    public async Task Revoked_key_is_refused_from_then_on()
    {
        using var tenant = await api.NewTenantAsync();
        var created = await (await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "temporary" })).ReadJsonAsync(HttpStatusCode.Created);
        using var client = api.ClientWithKey(created.GetProperty("api_key").GetString()!);
        await (await client.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);

        var revoked = await tenant.Http.DeleteAsync($"/v1/secrets/api/keys/{created.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await (await client.GetAsync("/v1/features")).AssertErrorAsync(HttpStatusCode.Unauthorized, InvalidKey);
        await (await client.PostAsJsonAsync("/v1/events", new { event_name = "api.calls", external_customer_id = "cust_1" }))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, InvalidKey);
        var list = await (await tenant.Http.GetAsync("/v1/secrets/api/keys")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), k => k.GetProperty("status").GetString() == "revoked");
        await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Another_tenants_key_cannot_be_revoked()
    {
        using var a = await api.NewTenantAsync();
        using var b = await api.NewTenantAsync();
        var created = await (await a.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "of a" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        await (await b.Http.DeleteAsync($"/v1/secrets/api/keys/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, $"API key '{id}' not found");

        using var client = api.ClientWithKey(created.GetProperty("api_key").GetString()!);
        await (await client.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        var listB = await (await b.Http.GetAsync("/v1/secrets/api/keys")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(listB.GetProperty("items").EnumerateArray(), k => k.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Key_without_a_name_is_refused()
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.PostJsonAsync("/v1/secrets/api/keys", "{}")).AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: name");
    }

    [Fact]
    public async Task Bootstrap_key_creates_tenants_whose_key_works()
    {
        using var admin = api.AdminClient();

        var body = await (await admin.PostAsJsonAsync("/v1/tenants", new { name = "Acme Inc" })).ReadJsonAsync(HttpStatusCode.Created);

        Assert.StartsWith("tenant_", body.GetProperty("id").GetString());
        Assert.Equal("Acme Inc", body.GetProperty("name").GetString());
        var key = body.GetProperty("api_key").GetString()!;
        Assert.StartsWith("sk_", key);
        using var client = api.ClientWithKey(key);
        var features = await (await client.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(features.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Tenant_without_a_name_is_refused()
    {
        using var admin = api.AdminClient();

        await (await admin.PostAsJsonAsync("/v1/tenants", new { name = " " })).AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: name");
    }

    [Fact]
    public async Task Only_an_admin_key_of_the_default_tenant_creates_tenants()
    {
        using var other = await api.NewTenantAsync();
        using var admin = api.AdminClient();
        var nonAdmin = await (await admin.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "default tenant, not admin" })).ReadJsonAsync(HttpStatusCode.Created);
        using var nonAdminClient = api.ClientWithKey(nonAdmin.GetProperty("api_key").GetString()!);

        var byOtherAdmin = await other.Http.PostAsJsonAsync("/v1/tenants", new { name = "sneaky" });
        var byNonAdmin = await nonAdminClient.PostAsJsonAsync("/v1/tenants", new { name = "sneaky" });

        await byOtherAdmin.AssertErrorAsync(HttpStatusCode.Forbidden, "Only an admin API key of the default tenant can create tenants");
        await byNonAdmin.AssertErrorAsync(HttpStatusCode.Forbidden, "Only an admin API key of the default tenant can create tenants");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/secrets/api/keys/{nonAdmin.GetProperty("id").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task Non_admin_key_cannot_manage_keys()
    {
        using var tenant = await api.NewTenantAsync();
        var created = await (await tenant.Http.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "ingestion only" })).ReadJsonAsync(HttpStatusCode.Created);
        using var ingestion = api.ClientWithKey(created.GetProperty("api_key").GetString()!);
        var keys = await (await tenant.Http.GetAsync("/v1/secrets/api/keys")).ReadJsonAsync(HttpStatusCode.OK);
        var adminKeyId = keys.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("is_admin").GetBoolean()).GetProperty("id").GetString();

        var mint = await ingestion.PostAsJsonAsync("/v1/secrets/api/keys", new { name = "escalated" });
        var list = await ingestion.GetAsync("/v1/secrets/api/keys");
        var revoke = await ingestion.DeleteAsync($"/v1/secrets/api/keys/{adminKeyId}");

        await mint.AssertErrorAsync(HttpStatusCode.Forbidden, "Only an admin API key can manage API keys");
        await list.AssertErrorAsync(HttpStatusCode.Forbidden, "Only an admin API key can manage API keys");
        await revoke.AssertErrorAsync(HttpStatusCode.Forbidden, "Only an admin API key can manage API keys");
        await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        var after = await (await tenant.Http.GetAsync("/v1/secrets/api/keys")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, after.GetProperty("items").GetArrayLength());
    }
}
