using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.Operations;

/// <summary>
/// The API reference tells the truth about the API: every route the app maps is in <c>/openapi/v1.json</c>,
/// every route that takes a body shows an example, and each example, posted as it is, gets past the route's
/// parser. Generic over the app's endpoints, so a new route is held to the same rules without editing this test.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class ApiReferenceTests(ApiFactory api)
{
    private static readonly string[] BodyMethods = ["post", "put", "patch"];

    [Fact]
    public async Task Every_mapped_route_is_in_the_openapi_document()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var routes = MappedRoutes();

        Assert.True(routes.Count >= 15, $"expected the API's routes, found {routes.Count}");
        var missing = routes.Where(r => !paths.TryGetProperty(r.Path, out var item) || !item.TryGetProperty(r.Method, out _)).ToList();
        Assert.True(missing.Count == 0, $"mapped but not documented: {string.Join(", ", missing.Select(r => $"{r.Method.ToUpperInvariant()} {r.Path}"))}");
    }

    [Fact]
    public async Task Every_route_that_takes_a_body_shows_an_example()
    {
        var operations = Operations(await DocumentAsync()).Where(o => BodyMethods.Contains(o.Method)).ToList();

        Assert.NotEmpty(operations);
        var without = operations.Where(o => o.Example is null).Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}").ToList();
        Assert.True(without.Count == 0,
            $"routes without a request example (add .WithRequestExample(\"\"\"{{…}}\"\"\") at their Map call): {string.Join(", ", without)}");
    }

    [Fact]
    public async Task Every_documented_request_example_is_accepted_by_its_route()
    {
        // The world the examples speak of: the feature and customers of the spec's examples, and a key to change.
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "Credits");
        await tenant.CreateCustomerAsync("cust-test-customer");
        await tenant.CreateCustomerAsync("cust-another-customer");
        using var key = await tenant.Http.PostAsync("/v1/secrets/api/keys", Json("""{"name": "to change"}"""));
        var keyId = (await key.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        using var operator_ = api.AdminClient();

        var examples = Operations(await DocumentAsync()).Where(o => o.Example is not null).ToList();
        Assert.NotEmpty(examples);
        var refused = new List<string>();
        foreach (var operation in examples)
        {
            var path = RouteParameter().Replace(operation.Path, m => m.Groups[1].Value == "id" && operation.Path.Contains("/keys/", StringComparison.Ordinal) ? keyId : "example");
            using var request = new HttpRequestMessage(new HttpMethod(operation.Method.ToUpperInvariant()), path) { Content = Json(operation.Example!) };
            using var response = await tenant.Http.SendAsync(request);
            var status = response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status == HttpStatusCode.Forbidden)
            {
                // Operator routes (tenants) take the default tenant's admin key.
                using var again = new HttpRequestMessage(request.Method, path) { Content = Json(operation.Example!) };
                using var retried = await operator_.SendAsync(again);
                (status, text) = (retried.StatusCode, await retried.Content.ReadAsStringAsync());
            }

            if (status is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType or HttpStatusCode.Forbidden || (int)status >= 500)
            {
                refused.Add($"{operation.Method.ToUpperInvariant()} {operation.Path}: {(int)status} {text}");
            }
        }

        Assert.True(refused.Count == 0, $"documented examples refused:\n{string.Join('\n', refused)}");
    }

    [Fact]
    public async Task The_reference_page_is_served_from_the_app_itself()
    {
        using var client = api.AnonymousClient();

        using var page = await client.GetAsync("/scalar/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        using var script = await client.GetAsync("/scalar/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = api.AnonymousClient();
        return await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
    }

    /// <summary>(method, path template as OpenAPI writes it) of every endpoint the app maps, except those excluded from the description.</summary>
    private List<(string Method, string Path)> MappedRoutes()
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true }
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                continue;
            }

            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                _ => "",
            }))));
            routes.AddRange(methods.HttpMethods.Select(m => (m.ToLowerInvariant(), path)));
        }

        return routes;
    }

    private static IEnumerable<(string Method, string Path, string? Example)> Operations(JsonElement document)
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                string? example = null;
                if (operation.Value.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
                    && content.TryGetProperty("application/json", out var json) && json.TryGetProperty("example", out var value))
                {
                    example = value.GetRawText();
                }

                yield return (operation.Name, path.Name, example);
            }
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex RouteParameter();
}
