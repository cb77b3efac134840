using Flexprice.Grains;
using Microsoft.AspNetCore.Diagnostics;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// The last line: a fault the handlers did not expect still gets the <c>{"error": "…"}</c> shape, and the
/// status says whose it is: 4xx for a request the server could not read (malformed HTTP, a body over its
/// limit) or whose values the database refused, 503 for a passing fault, 500 for a bug.
/// </summary>
public static class UnhandledErrors
{
    /// <summary>Faults that are the request's alone (a usage query over its limits): answered 400 without an error in the log.</summary>
    public static bool IsClientFault(ExceptionHandlerSuppressDiagnosticsContext context) => context.Exception is UsageLimitExceededException;

    public static async Task WriteAsync(HttpContext http)
    {
        var fault = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UnhandledErrors));
        int status;
        string message;
        if (fault is BadHttpRequestException bad)
        {
            (status, message) = (bad.StatusCode, RequestBodies.Describe(bad));
        }
        else if (fault is UsageLimitExceededException limit)
        {
            // A usage query asking for more than an answer may hold (windows, groups, distinct values), wherever it was found.
            (status, message) = (StatusCodes.Status400BadRequest, limit.Message);
        }
        else if (TransientFaults.IsRefusedInput(fault, out var refused))
        {
            logger.LogError(fault, "The database refused a value of {Method} {Path}: a gap in validation at the door", http.Request.Method, http.Request.Path);
            (status, message) = (StatusCodes.Status400BadRequest, refused);
        }
        else if (TransientFaults.IsTransient(fault))
        {
            http.Response.Headers.RetryAfter = "1";
            (status, message) = (StatusCodes.Status503ServiceUnavailable, "Service temporarily unavailable; retry");
        }
        else
        {
            (status, message) = (StatusCodes.Status500InternalServerError, "Internal server error");
        }

        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(ErrorResponse.For(status, message));
    }
}
