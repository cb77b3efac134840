using System.Net;

namespace Flexprice.Client.Events;

/// <summary>
/// The answer to a request that sends events. Expected outcomes (refusals, rate limits, outages)
/// are values, not exceptions; <see cref="EnsureAccepted"/> turns anything but 202 into a <see cref="FlexpriceApiException"/>.
/// </summary>
/// <param name="StatusCode">The HTTP status; 0 when no answer came (connection refused or cut, timeout).</param>
/// <param name="EventIds">The ids of the events sent, in request order (client-made where the caller gave none).</param>
/// <param name="Duplicates">On 202, how many of the events were already stored and counted zero more times, when the server says so (<c>Prefer: return=representation</c>); null when it does not.</param>
/// <param name="Error">The server's message (<c>error</c>, or <c>message</c>), or what went wrong on the way.</param>
/// <param name="Errors">For a refused bulk: the bad events by index, when the server names them.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c> (429, 503).</param>
public sealed record SendResult(
    SendStatus Status,
    int StatusCode,
    IReadOnlyList<string> EventIds,
    int? Duplicates = null,
    string? Error = null,
    IReadOnlyList<IndexedError>? Errors = null,
    TimeSpan? RetryAfter = null)
{
    public bool IsAccepted => Status == SendStatus.Accepted;

    /// <summary>Throws a <see cref="FlexpriceApiException"/> unless the events were accepted.</summary>
    public SendResult EnsureAccepted() => IsAccepted
        ? this
        : throw new FlexpriceApiException((HttpStatusCode)StatusCode, Error ?? Status.ToString(), Errors ?? []);
}
