using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Flexprice.Silo.Telemetry;

/// <summary>
/// Console logs: one line per entry for people (the default), or JSON for machines with
/// <c>Logging__Console__FormatterName=json</c>. Scopes are included, so every line written while a
/// request is handled carries its <c>RequestId</c>.
/// </summary>
public static class LoggingHosting
{
    public static IHostApplicationBuilder AddFlexpriceLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddConsole();
        builder.Services.Configure<SimpleConsoleFormatterOptions>(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.IncludeScopes = true;
        });
        builder.Services.Configure<JsonConsoleFormatterOptions>(options =>
        {
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        });
        return builder;
    }
}
