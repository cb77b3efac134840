using Flexprice.Api.Infrastructure;
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
        return builder;
    }

    /// <summary>An <c>X-Request-Id</c> on every answer and every log line of a request.</summary>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.UseMiddleware<RequestIdMiddleware>();
}
