using System.Diagnostics;
using System.Security.Cryptography;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Gives every request an id: the client's <c>X-Request-Id</c> when it is sane (1 to 128 characters of
/// <c>A-Z a-z 0-9 . _ : + / = -</c>), else the trace id when the request is traced, else a new random one.
/// The id is echoed in the <c>X-Request-Id</c> response header, becomes <see cref="HttpContext.TraceIdentifier"/>,
/// and is on every log line written while the request is handled (a logging scope <c>RequestId</c>).
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string HeaderName = "X-Request-Id";
    public const int MaxLength = 128;

    public async Task InvokeAsync(HttpContext http)
    {
        var incoming = http.Request.Headers[HeaderName];
        var id = incoming.Count == 1 && IsSane(incoming[0]) ? incoming[0]! : NewId();
        http.TraceIdentifier = id;
        http.Response.Headers[HeaderName] = id;
        using (logger.BeginScope(new RequestIdScope(id)))
        {
            await next(http);
        }
    }

    public static bool IsSane(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '+' or '/' or '=' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string NewId()
    {
        if (Activity.Current is { } activity && activity.TraceId != default)
        {
            // Traced: the same id finds the request's logs and its trace.
            return activity.TraceId.ToHexString();
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The scope's state: one property, <c>RequestId</c>, for structured formatters; the text form for the others.</summary>
    private sealed class RequestIdScope(string id) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 1;

        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new("RequestId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"RequestId:{id}";
    }
}
