using Flexprice.Api.Telemetry;
using Flexprice.Silo.Telemetry;

namespace Flexprice.Api.Operations;

/// <summary>What an API node offers its operators: telemetry, logs with request ids.</summary>
public static class OperationsHosting
{
    /// <summary>OpenTelemetry (meters <c>Flexprice.Ingestion</c>, <c>Flexprice.Usage</c> and the rest) and console logs.</summary>
    public static WebApplicationBuilder AddFlexpriceOperations(this WebApplicationBuilder builder)
    {
        builder.AddFlexpriceLogging();
        builder.AddFlexpriceTelemetry("flexprice-api");
        builder.Services.AddSingleton<IngestionMetrics>();
        builder.Services.AddSingleton<UsageMetrics>();
        // Seals the dashboard's session cookie (DashboardApi).
        builder.Services.AddDataProtection();
        // First of all middleware (before routing, which WebApplication puts at the front): an
        // X-Request-Id on every answer and a RequestId on every log line of a request.
        builder.Services.AddTransient<IStartupFilter, RequestIdStartupFilter>();
        return builder;
    }

    private sealed class RequestIdStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<RequestIdMiddleware>();
            next(app);
        };
    }
}
