using System.Text.Json;
using CsvHelper;

namespace Flexprice.Importer.Input;

/// <summary>
/// Reads a CSV file (RFC 4180, UTF-8, header row; see <see cref="CsvColumns"/>) record by record and
/// writes each as an event. Property values that are JSON numbers (<c>2</c>, <c>-0.5</c>, <c>1e3</c>)
/// are sent as numbers, other values as strings; empty cells are left out. A resume opens the file at
/// the checkpoint's offset (a record's start) with the header and separator read from the top.
/// </summary>
public sealed class CsvSource : IRecordSource
{
    private readonly CsvReader _reader;
    private readonly CsvColumns _columns;
    private readonly long _baseOffset;
    private readonly long _baseLine;
    private long _lastLine;

    /// <param name="offset">Where to start: 0, or a checkpoint's offset (the start of a record).</param>
    /// <param name="line">The 1-based line that starts at <paramref name="offset"/> (ignored at 0).</param>
    public CsvSource(string path, long offset, long line)
    {
        using (var top = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true }))
        {
            _columns = CsvColumns.FromHeader(top.Headers);
            Separator = top.Separator;
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        EndOffset = stream.Length;
        if (offset > 0)
        {
            stream.Seek(offset, SeekOrigin.Begin);
            _baseOffset = offset;
            _baseLine = line - 1;
        }

        _reader = CsvReader.Create(stream, new CsvReaderOptions
        {
            TrackLineNumbers = true,
            HasHeader = offset == 0,
            Separator = Separator,
            DetectSeparatorHint = offset == 0,
        });
        _lastLine = Math.Max(line - 1, 1);
    }

    public char Separator { get; }

    public long EndOffset { get; }

    public long EndLine => _lastLine + 1;

    public bool Read(SourceRecord record)
    {
        if (!_reader.Read())
        {
            return false;
        }

        var line = _baseLine + _reader.LineNumber;
        _lastLine = line + Math.Max(0, _reader.RawRecord.Count((byte)'\n'));
        record.Reset(line, _baseOffset + _reader.ByteOffset);
        record.CustomerKey = SourceRecord.KeyOf(_reader.GetSpan(_columns.Fields[1]));
        using var writer = new Utf8JsonWriter(record.Json);
        writer.WriteStartObject();
        for (var f = 0; f < CsvColumns.EventFields.Length; f++)
        {
            var column = _columns.Fields[f];
            if (column >= 0 && !_reader.IsEmpty(column))
            {
                writer.WriteString(CsvColumns.EventFields[f], _reader.GetSpan(column));
            }
        }

        if (_columns.EventIdColumn < 0 || _reader.IsEmpty(_columns.EventIdColumn))
        {
            writer.WriteString("event_id"u8, EventIdDerivation.Derive(_reader.RawRecord, line));
        }

        writer.WritePropertyName("properties"u8);
        writer.WriteStartObject();
        foreach (var (column, name) in _columns.Properties)
        {
            if (_reader.IsEmpty(column))
            {
                continue;
            }

            var value = _reader.GetSpan(column);
            writer.WritePropertyName(name);
            if (IsJsonNumber(value))
            {
                writer.WriteRawValue(value, skipInputValidation: true);
            }
            else
            {
                writer.WriteStringValue(value);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        return true;
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>The JSON number grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
    public static bool IsJsonNumber(ReadOnlySpan<byte> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        if (i >= s.Length)
        {
            return false;
        }

        if (s[i] == '0')
        {
            i++;
        }
        else if (s[i] is >= (byte)'1' and <= (byte)'9')
        {
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < s.Length && s[i] == '.')
        {
            var digits = ++i;
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
            }

            if (i == digits)
            {
                return false;
            }
        }

        if (i < s.Length && s[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var digits = i;
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
            }

            if (i == digits)
            {
                return false;
            }
        }

        return i == s.Length;
    }
}
