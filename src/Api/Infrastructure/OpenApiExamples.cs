using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// A request body example for a route, shown by the API reference (<c>/scalar</c>) and posted as it is by the
/// tests, which require one on every route that takes a body. Add one with a line at the route's <c>Map…</c> call:
/// <code>.WithRequestExample("""{"name": "…"}""")</code>
/// </summary>
public static class OpenApiExamples
{
    public sealed record RequestExampleMetadata(string Json);

    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder endpoint, [System.Diagnostics.CodeAnalysis.StringSyntax("Json")] string json)
    {
        // Checked here, at start, so a broken example never reaches the document.
        _ = JsonNode.Parse(json) ?? throw new ArgumentException("A request example must be a JSON value", nameof(json));
        return endpoint.WithMetadata(new RequestExampleMetadata(json));
    }

    public static OpenApiOptions AddRequestExamples(this OpenApiOptions options) => options.AddOperationTransformer((operation, context, _) =>
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestExampleMetadata>().FirstOrDefault() is { } example)
        {
            if (operation.RequestBody is not OpenApiRequestBody body)
            {
                operation.RequestBody = body = new OpenApiRequestBody { Required = true };
            }

            var content = body.Content ??= new Dictionary<string, OpenApiMediaType>();
            if (!content.TryGetValue("application/json", out var media))
            {
                content["application/json"] = media = new OpenApiMediaType();
            }

            media.Example = JsonNode.Parse(example.Json);
        }

        return Task.CompletedTask;
    });
}
