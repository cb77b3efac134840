using System.Text.Json;
using Flexprice.Api.Contracts;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Reads request bodies ourselves, so malformed JSON gets the spec's 400 <c>Invalid JSON format</c>
/// rather than the framework's own error shape.
/// </summary>
public static class JsonBody
{
    public static async Task<(JsonDocument? Document, IResult? Error)> ParseAsync(HttpRequest request)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !HasOnlyValidStrings(document.RootElement))
            {
                document.Dispose();
                return (null, Errors.BadRequest(ErrorMessages.InvalidJson));
            }

            return (document, null);
        }
        catch (JsonException)
        {
            return (null, Errors.BadRequest(ErrorMessages.InvalidJson));
        }
    }

    /// <summary>
    /// JSON may escape a lone surrogate (<c>"\ud800"</c>), which is no text: such a string cannot be
    /// read, so the body is refused here, as malformed, rather than failing (500) wherever it is read.
    /// </summary>
    private static bool HasOnlyValidStrings(JsonElement element)
    {
        try
        {
            ReadEveryString(element);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static void ReadEveryString(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        ReadEveryString(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        ReadEveryString(item);
                    }

                    break;
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
            }
        }
    }

    /// <summary>Binds the body to <typeparamref name="T"/>; a value of the wrong type is named in the error.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        var (document, error) = await ParseAsync(request);
        if (document is null)
        {
            return (null, error);
        }

        using (document)
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            try
            {
                return (document.RootElement.Deserialize<T>(options), null);
            }
            catch (JsonException ex)
            {
                var path = ex.Path is { Length: > 2 } p ? p[2..] : "body";
                return (null, Errors.BadRequest($"Invalid value for field: {path}"));
            }
        }
    }
}

public static class Errors
{
    public static IResult BadRequest(string message) => TypedResults.BadRequest(new ErrorResponse(message));

    public static IResult NotFound(string message) => TypedResults.NotFound(new ErrorResponse(message));

    public static IResult Conflict(string message) => TypedResults.Conflict(new ErrorResponse(message));

    public static IResult Forbidden(string message) => TypedResults.Json(new ErrorResponse(message), statusCode: StatusCodes.Status403Forbidden);

    /// <summary>503 with Retry-After: a fault on our side; the request may be retried as it is.</summary>
    public static IResult Unavailable(HttpContext http, string message)
    {
        http.Response.Headers.RetryAfter = "1";
        return TypedResults.Json(new ErrorResponse(message), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
