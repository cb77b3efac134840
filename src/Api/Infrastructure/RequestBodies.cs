using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// How large a request body may be: 1 MiB on routes that take one object, 16 MiB on the bulk route (1,000
/// events of up to 16 KiB each, on average). Over the limit the answer is 413 with the usual error body.
/// Kestrel's own limit (<see cref="ServerLimit"/>) is the backstop for routes that never read a body.
/// </summary>
public static class RequestBodies
{
    public const long SingleObjectLimit = 1024 * 1024;
    public const long BulkLimit = 16 * 1024 * 1024;
    public const long ServerLimit = BulkLimit;

    /// <summary>
    /// How much of a body over its route's limit is still read (and thrown away) so that the client, which may
    /// still be sending, receives the 413 instead of a reset connection. Past this the connection is closed.
    /// </summary>
    public const long DrainLimit = 64 * 1024 * 1024;

    public static string TooLarge(long limit) =>
        $"Request body too large: this route takes at most {limit.ToString(CultureInfo.InvariantCulture)} bytes ({limit / 1024 / 1024} MiB)";

    /// <summary>
    /// The body, limited to <paramref name="limit"/> bytes however it arrives (Content-Length or chunked). The
    /// server's own limit is raised to <see cref="DrainLimit"/>, so that what is over the route's limit can still
    /// be drained (<see cref="DrainAsync"/>) before the 413 goes out.
    /// </summary>
    public static Stream Limited(HttpRequest request, long limit)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = DrainLimit;
        }

        return new LimitedStream(BodyHead.Reading(request), limit);
    }

    /// <summary>
    /// Reads what is left of a refused body, up to <see cref="DrainLimit"/> in all, so that a client still sending
    /// it gets the answer; the connection is closed after the answer either way.
    /// </summary>
    public static async Task DrainAsync(HttpRequest request)
    {
        var http = request.HttpContext;
        http.Response.Headers.Connection = "close";
        if (request.ContentLength > DrainLimit)
        {
            return;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = DrainLimit;
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        var body = BodyHead.Reading(request);
        try
        {
            while (await body.ReadAsync(buffer, http.RequestAborted) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Past the drain limit, too slow, or gone: the connection closes after the answer.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Words for the client about a request the server could not read; <paramref name="limit"/>: the route's body limit.</summary>
    public static string Describe(BadHttpRequestException bad, long limit = ServerLimit) => bad.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => TooLarge(limit),
        StatusCodes.Status408RequestTimeout => "Request timeout: the body arrived too slowly",
        _ => "Malformed HTTP request",
    };

    /// <summary>Reads through, and fails with 413 past the limit (the in-process test server enforces none).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : ReadThroughStream(inner)
    {
        private long _read;

        protected override void Seen(ReadOnlySpan<byte> read)
        {
            _read += read.Length;
            if (_read > limit)
            {
                throw new BadHttpRequestException(TooLarge(limit), StatusCodes.Status413PayloadTooLarge);
            }
        }
    }
}
