using Flexprice.Api.Contracts;
using Microsoft.AspNetCore.Diagnostics;

namespace Flexprice.Api.Infrastructure;

/// <summary>The last line: a fault the handlers did not expect still gets the <c>{"error": "…"}</c> shape.</summary>
public static class UnhandledErrors
{
    public static async Task WriteAsync(HttpContext http)
    {
        var fault = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        // Database and cluster faults are ours and passing: 503, retry. Anything else is a bug: 500.
        var unavailable = TransientFaults.IsTransient(fault);
        http.Response.StatusCode = unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
        if (unavailable)
        {
            http.Response.Headers.RetryAfter = "1";
        }

        await http.Response.WriteAsJsonAsync(new ErrorResponse(unavailable ? "Service temporarily unavailable; retry" : "Internal server error"));
    }
}
