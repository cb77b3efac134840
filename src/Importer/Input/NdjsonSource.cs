namespace Flexprice.Importer.Input;

/// <summary>
/// Reads an NDJSON file line by line through one buffer (constant memory: the buffer grows only for a
/// line longer than it, up to <see cref="MaxLineBytes"/>; a longer line is refused, not held). Blank lines are passed over; a UTF-8 byte
/// order mark at the start is ignored; a line's trailing <c>\r</c> and whitespace are not part of it.
/// </summary>
public sealed class NdjsonSource : IRecordSource
{
    public const int MaxLineBytes = 8 << 20;

    private readonly FileStream _file;
    private byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;
    private long _bufferOffset;
    private long _line;
    private bool _eof;
    private long _overlongOffset = -1;
    private string? _overlongHead;

    /// <param name="offset">Where to start: 0, or a checkpoint's offset (the start of a line).</param>
    /// <param name="line">The 1-based number of the line that starts at <paramref name="offset"/>.</param>
    public NdjsonSource(string path, long offset, long line)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (offset > _file.Length)
        {
            throw new InvalidDataException($"{path} is shorter than the checkpoint's offset {offset}");
        }

        _file.Seek(offset, SeekOrigin.Begin);
        _bufferOffset = offset;
        _line = line;
        EndOffset = _file.Length;
    }

    public long EndOffset { get; }

    public long EndLine => _line;

    public bool Read(SourceRecord record)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline < 0 && !_eof)
            {
                if (_start == 0 && _end == _buffer.Length && _buffer.Length >= MaxLineBytes)
                {
                    // A line longer than MaxLineBytes: keep its head for the report, drop the rest as it is read.
                    if (_overlongOffset < 0)
                    {
                        _overlongOffset = _bufferOffset;
                        _overlongHead = System.Text.Encoding.UTF8.GetString(_buffer, 0, 256) + "…";
                    }

                    _bufferOffset += _end;
                    _end = 0;
                }

                Fill();
                continue;
            }

            var length = newline < 0 ? _end - _start : newline;
            if (newline < 0 && length == 0 && _overlongOffset < 0)
            {
                return false;
            }

            var offset = _bufferOffset + _start;
            var text = _buffer.AsSpan(_start, length);
            _start += newline < 0 ? length : length + 1;
            var line = _line++;
            if (_overlongOffset >= 0)
            {
                record.Reset(line, _overlongOffset);
                record.Error = $"Line longer than {MaxLineBytes} bytes";
                record.Raw = _overlongHead;
                _overlongOffset = -1;
                return true;
            }

            if (offset == 0 && text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                text = text[3..];
            }

            text = text.TrimEnd(" \t\r"u8);
            if (text.TrimStart(" \t"u8).IsEmpty)
            {
                continue;
            }

            record.Reset(line, offset);
            NdjsonLine.Convert(text, record);
            return true;
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Moves what is left to the front and reads more; grows the buffer when one line fills it.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // One line fills the buffer: grow it, up to MaxLineBytes (beyond, Read drops the line).
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes));
        }

        var read = _file.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }
}
