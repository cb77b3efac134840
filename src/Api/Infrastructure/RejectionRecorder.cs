using System.Text;
using Flexprice.Grains;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Tells the tenant's <see cref="IRejectionLogGrain"/> about every ingestion request answered 400, 409 or 503,
/// with the reason and the first bytes of the body, so an operator can see why events were turned away.
/// </summary>
public sealed class RejectionRecorder(IGrainFactory grains, TimeProvider time, ILogger<RejectionRecorder> logger) : IEndpointFilter
{
    public const int HeadBytes = IRejectionLogGrain.MaxHeadChars;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        using var head = new HeadCapturingStream(http.Request.Body, HeadBytes);
        http.Request.Body = head;
        var result = await next(context);
        // A handler's typed union (Results<…>) carries the answer inside.
        var answer = result is INestedHttpResult nested ? nested.Result : result;
        if (answer is IStatusCodeHttpResult { StatusCode: 400 or 409 or 503 } status && http.HasCaller())
        {
            var reason = answer is IValueHttpResult { Value: { } value } ? value switch
            {
                BulkErrorResponse bulk => $"{bulk.Error} ({bulk.Errors.Count} events refused)",
                ErrorResponse error => error.Error,
                _ => "",
            } : "";
            try
            {
                // Awaited (only refusals pay for it), so the refusal is listed once the client has its answer.
                await grains.GetGrain<IRejectionLogGrain>(http.Caller().TenantId)
                    .Record(new Rejection(time.GetUtcNow(), $"{http.Request.Method} {http.Request.Path}", status.StatusCode!.Value, reason, head.Head()));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Recording a refused request failed");
            }
        }

        return result;
    }

    /// <summary>Passes reads through, keeping a copy of the first bytes (in a pooled buffer, given back when disposed; the inner stream stays open).</summary>
    private sealed class HeadCapturingStream(Stream inner, int capacity) : Stream
    {
        private byte[]? _head = System.Buffers.ArrayPool<byte>.Shared.Rent(capacity);
        private int _length;

        protected override void Dispose(bool disposing)
        {
            if (disposing && _head is { } head)
            {
                _head = null;
                System.Buffers.ArrayPool<byte>.Shared.Return(head);
            }
        }

        public string Head() => _head is null ? "" : Encoding.UTF8.GetString(_head, 0, _length);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Keep(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            return Keep(buffer.Span[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Keep(ReadOnlySpan<byte> read)
        {
            if (_head is { } head)
            {
                var take = Math.Min(read.Length, capacity - _length);
                read[..take].CopyTo(head.AsSpan(_length));
                _length += take;
            }

            return read.Length;
        }
    }
}
