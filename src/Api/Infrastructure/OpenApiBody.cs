using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Documents a JSON request body without making routing demand a JSON Content-Type (as
/// <c>Accepts&lt;T&gt;</c> would, with a 415): the handlers read the body themselves and answer bad
/// JSON with the spec's 400, whatever the header says.
/// </summary>
public static class OpenApiBody
{
    private sealed record JsonBodyMetadata(Type Type);

    public static RouteHandlerBuilder DocumentsBody<T>(this RouteHandlerBuilder endpoint) => endpoint.WithMetadata(new JsonBodyMetadata(typeof(T)));

    public static OpenApiOptions AddJsonBodies(this OpenApiOptions options) => options.AddOperationTransformer(async (operation, context, cancellationToken) =>
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<JsonBodyMetadata>().FirstOrDefault() is not { } body)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
        };
    });
}
