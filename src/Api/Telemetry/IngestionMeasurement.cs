
namespace Flexprice.Api.Telemetry;

/// <summary>
/// Measures an ingestion route from the outside of its own filters (rate limit, rejection log, handler):
/// latency by status, refusals by reason, and the size of accepted bulks. A missing or bad API key is
/// refused before it (by the <c>/v1</c> group's key filter); ASP.NET Core's <c>http.server.request.duration</c>
/// counts those 401s.
/// </summary>
public sealed class IngestionMeasurement(string route) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var metrics = context.HttpContext.RequestServices.GetRequiredService<IngestionMetrics>();
        var started = metrics.Start();
        var result = await next(context);
        // A handler's typed union (Results<…>) carries the answer inside.
        var answer = result is INestedHttpResult nested ? nested.Result : result;
        var status = answer is IStatusCodeHttpResult { StatusCode: { } code } ? code : context.HttpContext.Response.StatusCode;
        string? rejection = null;
        if (status >= 400)
        {
            var error = answer is IValueHttpResult { Value: { } value } ? value switch
            {
                ErrorResponse e => e.Error,
                BulkErrorResponse b => b.Error,
                _ => null,
            } : null;
            rejection = IngestionMetrics.RejectionReason(status, error);
        }

        metrics.Answered(route, status, started, rejection);
        return result;
    }
}

public static class IngestionMeasurementConventions
{
    /// <summary>Measures the route in meter <c>Flexprice.Ingestion</c> under <paramref name="route"/> (its template, e.g. <c>/v1/events</c>).</summary>
    public static RouteHandlerBuilder MeasuredAs(this RouteHandlerBuilder endpoint, string route) =>
        endpoint.AddEndpointFilter(new IngestionMeasurement(route));
}
