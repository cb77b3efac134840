using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace Flexprice.Tests.Client;

/// <summary>
/// The network fault that makes retries dangerous: the server commits a bulk and answers 202, and the
/// answer is lost on the way back (here: the first answer to each distinct bulk body becomes a cut
/// connection). Only the client's own event ids make the retry count zero more times.
/// </summary>
public sealed class LostAnswerHandler : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, byte> _seen = new();
    private int _lost;

    /// <summary>Answers lost so far.</summary>
    public int Lost => _lost;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : Convert.ToHexString(SHA256.HashData(await request.Content.ReadAsByteArrayAsync(cancellationToken)));
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted && _seen.TryAdd(body, 0))
        {
            response.Dispose();
            Interlocked.Increment(ref _lost);
            throw new HttpRequestException("the connection was reset after the server answered (a lost answer, made by the test)");
        }

        return response;
    }
}
