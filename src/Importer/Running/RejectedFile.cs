using System.Text.Encodings.Web;
using System.Text.Json;

namespace Flexprice.Importer.Running;

/// <summary>
/// <c>FILE.rejected.ndjson</c>: one line per record not counted, in input order:
/// <c>{"line": 12, "reason": "…", "status": 400, "event": {…}}</c> (or <c>"raw": "…"</c> for a record
/// that was not JSON). Created on the first refusal; a resume cuts it back to the checkpoint's length.
/// </summary>
public sealed class RejectedFile(string path) : IDisposable
{
    // Reasons quote ids ('cust_1'); keep them readable. Still valid JSON, one object a line.
    private static readonly JsonWriterOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private FileStream? _file;

    public string Path { get; } = path;

    /// <summary>Bytes written so far (the file's length).</summary>
    public long Length { get; private set; }

    /// <summary>A fresh import: no rejected file from an earlier one.</summary>
    public void Start()
    {
        File.Delete(Path);
        Length = 0;
    }

    /// <summary>A resume: keeps exactly the first <paramref name="length"/> bytes (what the checkpoint counted).</summary>
    public void ResumeAt(long length)
    {
        var existing = File.Exists(Path) ? new FileInfo(Path).Length : 0;
        if (existing < length)
        {
            throw new InvalidDataException($"{Path} holds {existing} bytes, fewer than the {length} the checkpoint counted: it was changed since");
        }

        if (length == 0)
        {
            File.Delete(Path);
        }
        else
        {
            _file = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.Read);
            _file.SetLength(length);
            _file.Seek(length, SeekOrigin.Begin);
        }

        Length = length;
    }

    public void Append(IEnumerable<Rejection> rejections)
    {
        foreach (var r in rejections)
        {
            _file ??= new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            using (var writer = new Utf8JsonWriter(_file, Readable))
            {
                writer.WriteStartObject();
                writer.WriteNumber("line"u8, r.Line);
                writer.WriteString("reason"u8, r.Reason);
                if (r.Status is { } status)
                {
                    writer.WriteNumber("status"u8, status);
                }

                if (r.Event is { } json)
                {
                    writer.WritePropertyName("event"u8);
                    writer.WriteRawValue(json, skipInputValidation: true);
                }
                else
                {
                    writer.WriteString("raw"u8, r.Raw);
                }

                writer.WriteEndObject();
            }

            _file.WriteByte((byte)'\n');
        }

        Length = _file?.Position ?? Length;
    }

    /// <summary>Makes what was appended durable before a checkpoint counts it.</summary>
    public void Flush() => _file?.Flush(flushToDisk: true);

    public void Dispose() => _file?.Dispose();
}
