using System.Text.Json;

namespace Flexprice.Tests.Client;

/// <summary>Writes each attempt the client makes (retries included) into a <see cref="RequestLog"/>.</summary>
internal sealed class RequestLogHandler(RequestLog log) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var events = 0;
        if (path.EndsWith("/bulk", StringComparison.Ordinal) && request.Content is not null)
        {
            using var body = JsonDocument.Parse(await request.Content.ReadAsByteArrayAsync(cancellationToken));
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
