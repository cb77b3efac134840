using Flexprice.Api.Telemetry;
using Flexprice.Grains;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Watches an ingestion route from the outside of its own filters (rate limit, handler): measures every answer in meter
/// <c>Flexprice.Ingestion</c> (latency by status, refusals by reason), and tells the tenant's <see cref="IRejectionLogGrain"/>
/// about every answer 400, 409 or 503, with the reason and the first bytes of the body (<see cref="BodyHead"/>), so an
/// operator can see why events were turned away. A missing or bad API key is refused before it (by the <c>/v1</c> group's
/// key filter); ASP.NET Core's <c>http.server.request.duration</c> counts those 401s. One filter for both, made once per
/// route: one await around the route instead of two.
/// </summary>
public sealed class IngestionOutcomeFilter(string route, IngestionMetrics metrics, IGrainFactory grains, TimeProvider time, ILogger<IngestionOutcomeFilter> logger) : IEndpointFilter
{
    public const int HeadBytes = IRejectionLogGrain.MaxHeadChars;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var started = metrics.Start();
        // Kept by whoever reads the body (JsonBody, RequestBodies), not by a stream put in place of the body's: that would
        // turn the request's pipe into a stream reader over it, with buffers of its own, on every request.
        using var head = new BodyHead(HeadBytes);
        http.Features.Set(head);
        object? result;
        try
        {
            result = await next(context);
        }
        finally
        {
            // Nothing reads the body after the route: the head is no longer the request's.
            http.Features.Set<BodyHead>(null);
        }

        // A handler's typed union (Results<…>) carries the answer inside.
        var answer = result is INestedHttpResult nested ? nested.Result : result;
        var status = answer is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
        string? rejection = null;
        if (status >= 400)
        {
            // The error for the metric's reason; the words for the rejection log.
            var (error, reason) = answer is IValueHttpResult { Value: { } value } ? value switch
            {
                ErrorResponse e => (e.Error, e.Error),
                BulkErrorResponse b => (b.Error, $"{b.Error} ({b.Errors.Count} events refused)"),
                _ => (null, ""),
            } : (null, "");
            rejection = IngestionMetrics.RejectionReason(status, error);
            if (status is 400 or 409 or 503 && http.HasCaller())
            {
                await RecordAsync(http, status, reason, head);
            }
        }

        metrics.Answered(route, status, started, rejection);
        return result;
    }

    private async Task RecordAsync(HttpContext http, int status, string reason, BodyHead head)
    {
        try
        {
            // Awaited (only refusals pay for it), so the refusal is listed once the client has its answer.
            await grains.GetGrain<IRejectionLogGrain>(http.Caller().TenantId)
                .Record(new Rejection(time.GetUtcNow(), $"{http.Request.Method} {http.Request.Path}", status, reason, head.Text()));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Recording a refused request failed");
        }
    }
}

public static class IngestionOutcomeConventions
{
    /// <summary>
    /// Watches the route (<see cref="IngestionOutcomeFilter"/>) under <paramref name="route"/> (its template, e.g. <c>/v1/events</c>),
    /// with one filter made from the application's services when the route is built.
    /// </summary>
    public static RouteHandlerBuilder WatchedAs(this RouteHandlerBuilder endpoint, string route) =>
        endpoint.AddEndpointFilterFactory(SharedFilter.Of<IngestionOutcomeFilter>(route));
}

/// <summary>
/// A route filter made once, from the application's services, when its route is built: <c>AddEndpointFilter&lt;T&gt;()</c>
/// makes one from the request's services on every request.
/// </summary>
public static class SharedFilter
{
    public static Func<EndpointFilterFactoryContext, EndpointFilterDelegate, EndpointFilterDelegate> Of<TFilter>(params object[] arguments)
        where TFilter : IEndpointFilter =>
        (context, next) =>
        {
            var filter = ActivatorUtilities.CreateInstance<TFilter>(context.ApplicationServices, arguments);
            return invocation => filter.InvokeAsync(invocation, next);
        };
}
