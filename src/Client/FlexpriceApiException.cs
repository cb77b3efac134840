using System.Net;
using Flexprice.Client.Events;

namespace Flexprice.Client;

/// <summary>The API answered with an error: its status, its message (<c>error</c> or <c>message</c>) and, for a refused bulk, the bad events.</summary>
public sealed class FlexpriceApiException(HttpStatusCode statusCode, string error, IReadOnlyList<IndexedError> errors)
    : Exception($"Flexprice answered {(int)statusCode} {statusCode}: {error}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public string Error { get; } = error;

    public IReadOnlyList<IndexedError> Errors { get; } = errors;
}
