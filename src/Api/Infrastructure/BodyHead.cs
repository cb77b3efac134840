using System.Buffers;
using System.Text;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// The first bytes of a request's body, for the rejection log (<see cref="IngestionOutcomeFilter"/>) (in a pooled buffer, taken at the first byte
/// kept and given back when disposed). Present on a request's features on the routes whose refusals are recorded.
/// </summary>
public sealed class BodyHead(int capacity) : IDisposable
{
    private byte[]? _bytes;
    private int _length;
    private bool _disposed;

    /// <summary>The request's body as read from here on: <c>request.Body</c>, through a copy of its first bytes when the route keeps them.</summary>
    public static Stream Reading(HttpRequest request) =>
        request.HttpContext.Features.Get<BodyHead>() is { } head ? new KeepingStream(request.Body, head) : request.Body;

    public void Keep(ReadOnlySpan<byte> read)
    {
        if (_disposed || _length >= capacity || read.IsEmpty)
        {
            return;
        }

        _bytes ??= ArrayPool<byte>.Shared.Rent(capacity);
        var take = Math.Min(read.Length, capacity - _length);
        read[..take].CopyTo(_bytes.AsSpan(_length));
        _length += take;
    }

    public void Keep(in ReadOnlySequence<byte> read)
    {
        foreach (var segment in read)
        {
            if (_length >= capacity)
            {
                return;
            }

            Keep(segment.Span);
        }
    }

    public string Text() => _bytes is null ? "" : Encoding.UTF8.GetString(_bytes, 0, _length);

    public void Dispose()
    {
        _disposed = true;
        if (_bytes is { } bytes)
        {
            _bytes = null;
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Passes reads through, keeping the first bytes.</summary>
    private sealed class KeepingStream(Stream inner, BodyHead head) : ReadThroughStream(inner)
    {
        protected override void Seen(ReadOnlySpan<byte> read) => head.Keep(read);
    }
}
