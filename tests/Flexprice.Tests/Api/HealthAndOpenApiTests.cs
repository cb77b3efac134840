using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>The operating contract: health probes without a key, and an OpenAPI document that lists every route.</summary>
[Collection(ApiCollection.Name)]
public sealed class HealthAndOpenApiTests(ApiFactory api)
{
    [Theory]
    [InlineData("/health/live", "live")]
    [InlineData("/health/ready", "ready")]
    public async Task Health_probes_answer_200_without_a_key(string path, string status)
    {
        using var client = api.AnonymousClient();

        var body = await (await client.GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(status, body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_every_route()
    {
        using var client = api.AnonymousClient();

        var document = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);

        var paths = document.GetProperty("paths");
        (string Path, string Method)[] routes =
        [
            ("/v1/events", "post"),
            ("/v1/events/bulk", "post"),
            ("/v1/customers", "post"),
            ("/v1/customers", "get"),
            ("/v1/customers/{id}", "get"),
            ("/v1/customers/{external_customer_id}/usage", "get"),
            ("/v1/features", "post"),
            ("/v1/features", "get"),
            ("/v1/tenants", "post"),
            ("/v1/secrets/api/keys", "post"),
            ("/v1/secrets/api/keys", "get"),
            ("/v1/secrets/api/keys/{id}", "delete"),
        ];
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the OpenAPI document");
            Assert.True(item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task OpenApi_document_describes_the_event_body()
    {
        using var client = api.AnonymousClient();

        var document = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);

        var schema = document.GetProperty("paths").GetProperty("/v1/events").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }

        var properties = schema.GetProperty("properties");
        foreach (var field in new[] { "event_name", "external_customer_id", "event_id", "timestamp", "source", "properties" })
        {
            Assert.True(properties.TryGetProperty(field, out _), $"the event body schema lacks {field}");
        }
    }
}
