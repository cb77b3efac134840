using Flexprice.Client;
using Flexprice.Client.Sending;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.Client;

/// <summary>
/// The client as an application gets it (<c>AddFlexpriceClient</c> on a service collection), wired
/// to the in-process API (its test server's handler) or to a real address. A
/// <see cref="RequestLog"/> sees every attempt the client makes (retries included).
/// </summary>
public static class FlexpriceClients
{
    public static ServiceProvider InProcess(
        ApiFactory api, string apiKey, Action<FlexpriceClientOptions>? configure = null, RequestLog? log = null, TimeProvider? time = null, Func<DelegatingHandler>? fault = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        var builder = services.AddFlexpriceClient(o =>
        {
            o.BaseAddress = api.Server.BaseAddress;
            o.ApiKey = apiKey;
            configure?.Invoke(o);
        });
        builder.ConfigurePrimaryHttpMessageHandler(() => api.Server.CreateHandler());
        if (log is not null)
        {
            builder.AddHttpMessageHandler(() => new RequestLogHandler(log));
        }

        if (fault is not null)
        {
            builder.AddHttpMessageHandler(fault);
        }

        return services.BuildServiceProvider();
    }

    public static ServiceProvider Remote(Uri baseAddress, string apiKey, Action<FlexpriceClientOptions>? configure = null, RequestLog? log = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddFlexpriceClient(o =>
        {
            o.BaseAddress = baseAddress;
            o.ApiKey = apiKey;
            configure?.Invoke(o);
        });
        if (log is not null)
        {
            builder.AddHttpMessageHandler(() => new RequestLogHandler(log));
        }

        return services.BuildServiceProvider();
    }

    public static FlexpriceClient Client(this ServiceProvider provider) => provider.GetRequiredService<FlexpriceClient>();

    public static FlexpriceSender Sender(this ServiceProvider provider) => provider.GetRequiredService<FlexpriceSender>();
}
