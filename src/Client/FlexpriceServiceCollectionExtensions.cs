using Flexprice.Client;
using Flexprice.Client.Sending;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

public static class FlexpriceServiceCollectionExtensions
{
    public const string ConfigurationSection = "Flexprice";

    /// <summary>
    /// Registers <see cref="FlexpriceClient"/> (a typed client of <c>IHttpClientFactory</c> whose
    /// pipeline retries transient failures and honours <c>Retry-After</c>) and the background
    /// <see cref="FlexpriceSender"/> (a singleton; disposing the container flushes it). Settings come
    /// from the configuration section <c>Flexprice</c>, then from <paramref name="configure"/>.
    /// </summary>
    public static IHttpClientBuilder AddFlexpriceClient(this IServiceCollection services, Action<FlexpriceClientOptions>? configure = null)
    {
        // The section "Flexprice" when the application has a configuration (a host); a bare service
        // collection (a console tool) has none, and the delegate alone sets the options.
        var options = services.AddOptions<FlexpriceClientOptions>()
            .Configure<IServiceProvider>((o, provider) => provider.GetService<IConfiguration>()?.GetSection(ConfigurationSection).Bind(o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.BatchSize >= 1 && o.BatchSize <= Flexprice.Client.Events.EventBatch.MaxEvents, "Flexprice:BatchSize must be 1 to 1000")
            .Validate(o => o.MaxBufferedEvents >= 1 && o.MaxConcurrentBulks >= 1 && o.MaxRetryAttempts >= 0, "Flexprice: MaxBufferedEvents and MaxConcurrentBulks must be at least 1, MaxRetryAttempts at least 0");
        services.TryAddSingleton(TimeProvider.System);

        var builder = services.AddHttpClient<FlexpriceClient>((provider, http) =>
        {
            var o = provider.GetRequiredService<IOptions<FlexpriceClientOptions>>().Value;
            http.BaseAddress = o.BaseAddress;
            http.DefaultRequestHeaders.Add("x-api-key", o.ApiKey);
            // The pipeline's attempt timeout and the caller's token bound each request; retries may wait longer.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });

        builder.AddResilienceHandler("flexprice", (pipeline, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<FlexpriceClientOptions>>().Value;
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, o.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.RetryDelay,
                MaxDelay = o.MaxRetryDelay,
                ShouldRetryAfterHeader = true,
            };
            var transient = retry.ShouldHandle;
            retry.ShouldHandle = async args =>
                o.MaxRetryAttempts > 0
                && args.Context.GetRequestMessage()?.Options.TryGetValue(FlexpriceClient.RetrySafe, out var safe) == true && safe
                && await transient(args);
            pipeline.AddRetry(retry);
            pipeline.AddTimeout(o.AttemptTimeout);
        });

        services.TryAddSingleton(provider => new FlexpriceSender(
            provider.GetRequiredService<FlexpriceClient>,
            provider.GetRequiredService<IOptions<FlexpriceClientOptions>>().Value,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger<FlexpriceSender>()));
        return builder;
    }
}
