using System.Collections.Concurrent;
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

/// <summary>What the client sent: each attempt's path, status (0: no answer) and, for bulks, how many events it held.</summary>
public sealed class RequestLog
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Path, int Status, int Events)> _attempts = new();

    public IReadOnlyList<(string Path, int Status, int Events)> Attempts => [.. _attempts];

    public void Add(string path, int status, int events) => _attempts.Enqueue((path, status, events));
}

internal sealed class RequestLogHandler(RequestLog log) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var events = 0;
        if (path.EndsWith("/bulk", StringComparison.Ordinal) && request.Content is not null)
        {
            using var body = System.Text.Json.JsonDocument.Parse(await request.Content.ReadAsByteArrayAsync(cancellationToken));
            events = body.RootElement.GetProperty("events").GetArrayLength();
        }

        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            log.Add(path, (int)response.StatusCode, events);
            return response;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            log.Add(path, 0, events);
            throw;
        }
    }
}

/// <summary>
/// The network fault that makes retries dangerous: the server commits a bulk and answers 202, and the
/// answer is lost on the way back (here: the first answer to each distinct bulk body becomes a cut
/// connection). Only the client's own event ids make the retry count zero more times.
/// </summary>
public sealed class LostAnswerHandler : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, byte> _seen = new();

    public int Lost => _lost;

    private int _lost;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await request.Content.ReadAsByteArrayAsync(cancellationToken)));
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.Accepted && _seen.TryAdd(body, 0))
        {
            response.Dispose();
            Interlocked.Increment(ref _lost);
            throw new HttpRequestException("the connection was reset after the server answered (a lost answer, made by the test)");
        }

        return response;
    }
}
