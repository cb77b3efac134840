using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Flexprice.Api.Operations;

/// <summary>
/// The API reference: Scalar at <c>/scalar</c> over <c>/openapi/v1.json</c>, served from the package itself
/// (no CDN, no fonts, no telemetry fetched by the page), with the <c>x-api-key</c> scheme so "Test request" works.
/// </summary>
public static class ApiReference
{
    public const string SchemeName = "ApiKey";

    public static OpenApiOptions AddApiKeyScheme(this OpenApiOptions options) => options.AddDocumentTransformer((document, _, _) =>
    {
        document.Info.Title = "Flexprice API";
        document.Info.Description = "Usage metering: send events exactly once, query usage in real time. Every /v1 route needs an API key in x-api-key.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "x-api-key",
            Description = "An API key of your tenant (sk_…); scripts/run prints a development key.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
        return Task.CompletedTask;
    });

    /// <summary>
    /// A nullable field of a request or response record may be left out, so it is not "required" (the generator
    /// marks every constructor parameter required, which the reference would show for event_id, timestamp, …).
    /// </summary>
    public static OpenApiOptions AddOptionalNullables(this OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        if (schema.Required is not { Count: > 0 } required)
        {
            return Task.CompletedTask;
        }

        foreach (var property in context.JsonTypeInfo.Properties)
        {
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (schema.Properties?.TryGetValue(property.Name, out var propertySchema) == true && propertySchema.Type?.HasFlag(JsonSchemaType.Null) == true);
            if (nullable)
            {
                required.Remove(property.Name);
            }
        }

        return Task.CompletedTask;
    });

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapScalarApiReference("/scalar", options => options
                .WithTitle("Flexprice API")
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools()
                .AddPreferredSecuritySchemes(SchemeName))
            .ExcludeFromDescription();
        return app;
    }
}
