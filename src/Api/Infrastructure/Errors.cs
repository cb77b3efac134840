
namespace Flexprice.Api.Infrastructure;

/// <summary>Error answers, all in the one error shape.</summary>
public static class Errors
{
    public static IResult BadRequest(string message) => TypedResults.BadRequest(ErrorResponse.For(StatusCodes.Status400BadRequest, message));

    public static IResult NotFound(string message) => TypedResults.NotFound(ErrorResponse.For(StatusCodes.Status404NotFound, message));

    public static IResult Conflict(string message) => TypedResults.Conflict(ErrorResponse.For(StatusCodes.Status409Conflict, message));

    public static IResult Forbidden(string message) => Status(StatusCodes.Status403Forbidden, message);

    public static IResult TooLarge(long limit) => Status(StatusCodes.Status413PayloadTooLarge, RequestBodies.TooLarge(limit));

    public static IResult Status(int statusCode, string message) => TypedResults.Json(ErrorResponse.For(statusCode, message), statusCode: statusCode);

    /// <summary>503 with Retry-After: a fault on our side; the request may be retried as it is.</summary>
    public static IResult Unavailable(HttpContext http, string message)
    {
        http.Response.Headers.RetryAfter = "1";
        return Status(StatusCodes.Status503ServiceUnavailable, message);
    }
}
