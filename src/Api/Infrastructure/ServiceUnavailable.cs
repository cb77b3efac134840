using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// A 503 Service Unavailable answer with a JSON body, as a typed result (ASP.NET Core has none for this status), so that a handler's
/// <c>Results&lt;…&gt;</c> describes it in the OpenAPI document. Written exactly as <c>TypedResults.Json(value, statusCode: 503)</c>.
/// </summary>
public sealed class ServiceUnavailable<TValue>(TValue value) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>
{
    public TValue Value => value;

    object? IValueHttpResult.Value => value;

    public int StatusCode => StatusCodes.Status503ServiceUnavailable;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public Task ExecuteAsync(HttpContext httpContext) => TypedResults.Json(value, statusCode: StatusCode).ExecuteAsync(httpContext);

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(TValue), ["application/json"]));
}
