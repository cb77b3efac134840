using System.Net.Sockets;
using System.Text;

namespace Flexprice.Bench;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client: writes prepared request bytes, reads the status and skips
/// the body (Content-Length or chunked). Far lighter on CPU than HttpClient, so that on a small
/// machine the load generator takes as little as possible from the server it measures.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttpConnection> ConnectAsync(Uri baseUri)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(baseUri.Host, baseUri.Port);
        return new RawHttpConnection(socket);
    }

    /// <summary>As <see cref="ConnectAsync"/>, blocking the calling thread.</summary>
    public static RawHttpConnection Connect(Uri baseUri)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(baseUri.Host, baseUri.Port);
        return new RawHttpConnection(socket);
    }

    public static byte[] Request(Uri baseUri, string method, string path, string apiKey, ReadOnlySpan<byte> body)
    {
        var head = body.IsEmpty && method == "GET"
            ? $"{method} {path} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nx-api-key: {apiKey}\r\n\r\n"
            : $"{method} {path} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nx-api-key: {apiKey}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        var bytes = new byte[Encoding.ASCII.GetByteCount(head) + body.Length];
        var n = Encoding.ASCII.GetBytes(head, bytes);
        body.CopyTo(bytes.AsSpan(n));
        return bytes;
    }

    /// <summary>Sends one request and returns the response's status code once the whole response is read.</summary>
    public Task<int> SendAsync(ReadOnlyMemory<byte> request) => SendCoreAsync(request, sync: false).AsTask();

    /// <summary>As <see cref="SendAsync"/>, blocking the calling thread: the response is timed when it arrives, with no thread pool between.</summary>
    public int Send(ReadOnlyMemory<byte> request)
    {
        var status = SendCoreAsync(request, sync: true);
        return status.IsCompleted ? status.Result : throw new InvalidOperationException("A blocking send did not complete at once");
    }

    /// <param name="sync">Every read and write blocks, so the whole call completes before it returns.</param>
    private async ValueTask<int> SendCoreAsync(ReadOnlyMemory<byte> request, bool sync)
    {
        if (sync)
        {
            _stream.Write(request.Span);
        }
        else
        {
            await _stream.WriteAsync(request);
        }

        var headerEnd = await FillUntilAsync(() => IndexOf("\r\n\r\n"u8), sync);
        var headers = Encoding.ASCII.GetString(_buffer, _start, headerEnd - _start);
        _start = headerEnd + 4;
        var status = int.Parse(headers.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var contentLength = -1;
        var chunked = false;
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(line.AsSpan(15).Trim(), provider: System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        if (chunked)
        {
            while (true)
            {
                var lineEnd = await FillUntilAsync(() => IndexOf("\r\n"u8), sync);
                var size = Convert.ToInt32(Encoding.ASCII.GetString(_buffer, _start, lineEnd - _start).Split(';')[0].Trim(), 16);
                _start = lineEnd + 2;
                await SkipAsync(size + 2, sync);
                if (size == 0)
                {
                    break;
                }
            }
        }
        else if (contentLength > 0)
        {
            await SkipAsync(contentLength, sync);
        }

        return status;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private int IndexOf(ReadOnlySpan<byte> needle)
    {
        var i = _buffer.AsSpan(_start, _end - _start).IndexOf(needle);
        return i < 0 ? -1 : _start + i;
    }

    private async ValueTask<int> FillUntilAsync(Func<int> find, bool sync)
    {
        while (true)
        {
            var at = find();
            if (at >= 0)
            {
                return at;
            }

            await ReadMoreAsync(sync);
        }
    }

    private async ValueTask SkipAsync(int count, bool sync)
    {
        while (_end - _start < count)
        {
            count -= _end - _start;
            _start = _end = 0;
            await ReadMoreAsync(sync);
        }

        _start += count;
    }

    private async ValueTask ReadMoreAsync(bool sync)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var n = sync ? _stream.Read(_buffer.AsSpan(_end)) : await _stream.ReadAsync(_buffer.AsMemory(_end));
        if (n == 0)
        {
            throw new IOException("The server closed the connection");
        }

        _end += n;
    }
}
