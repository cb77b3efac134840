using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Flexprice.Silo.Telemetry;

/// <summary>
/// OpenTelemetry for an API node or a silo: the project's meters, Orleans', ASP.NET Core's, Npgsql's and the
/// runtime's, scraped at <c>/metrics</c> (Prometheus) and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or a
/// signal's own <c>OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT</c>) is set, exported over OTLP with
/// traces from the HTTP request through the grain calls to PostgreSQL. <c>Telemetry__Enabled=false</c> turns
/// all of it off.
/// </summary>
public static class TelemetryHosting
{
    private static readonly string[] OtlpEndpointVariables =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    ];

    public static TelemetryOptions TelemetryOptions(this IConfiguration configuration) =>
        configuration.GetSection(Telemetry.TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>Whether an OTLP endpoint is configured (the standard variables, read through configuration).</summary>
    public static bool OtlpConfigured(this IConfiguration configuration) =>
        OtlpEndpointVariables.Any(name => !string.IsNullOrWhiteSpace(configuration[name]));

    /// <summary>Whether spans are recorded: telemetry on, and an OTLP endpoint (or <c>Telemetry__Tracing</c>) to send them to.</summary>
    public static bool TracingEnabled(this IConfiguration configuration)
    {
        var options = configuration.TelemetryOptions();
        return options.Enabled && (options.Tracing || configuration.OtlpConfigured());
    }

    /// <summary>Registers OpenTelemetry; <paramref name="serviceName"/> names the process kind (<c>OTEL_SERVICE_NAME</c> wins).</summary>
    public static IHostApplicationBuilder AddFlexpriceTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(Telemetry.TelemetryOptions.Section);
        var configuration = builder.Configuration;
        if (!configuration.TelemetryOptions().Enabled)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId);
                }
            })
            .WithMetrics(metrics => metrics
                .AddMeter(FlexpriceMeters.Ingestion, FlexpriceMeters.Usage, FlexpriceMeters.EventLog, FlexpriceMeters.Orleans)
                .AddMeter("System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddNpgsqlInstrumentation()
                // No cached answers: a scrape right after some traffic shows that traffic.
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));

        if (configuration.TracingEnabled())
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = http => !IsQuiet(http.Request.Path))
                .AddSource(FlexpriceMeters.OrleansSources)
                .AddSource(FlexpriceMeters.EventLog)
                .AddNpgsql());
        }

        if (configuration.OtlpConfigured())
        {
            // Endpoint, protocol, headers and intervals come from the standard OTEL_EXPORTER_OTLP_* variables.
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Maps the Prometheus scrape endpoint (<c>Telemetry:MetricsPath</c>, <c>/metrics</c>) unless telemetry is off.</summary>
    public static IEndpointRouteBuilder MapFlexpriceMetrics(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().TelemetryOptions();
        if (options.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(options.MetricsPath).ExcludeFromDescription();
        }

        return app;
    }

    // Scrapes and probes every few seconds would bury the requests worth tracing.
    private static bool IsQuiet(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/dashboard");
}
