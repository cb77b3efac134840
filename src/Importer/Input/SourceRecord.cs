using System.Buffers;

namespace Flexprice.Importer.Input;

/// <summary>
/// One record read from the input, reused from record to record: the event's JSON (with its
/// <c>event_id</c>, derived when the input had none) or why it cannot be sent.
/// </summary>
public sealed class SourceRecord
{
    /// <summary>64-bit FNV-1a: cheap, and good enough to group records (a collision only groups less well).</summary>
    public static ulong KeyOf(ReadOnlySpan<byte> text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in text)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The 1-based line of the input where the record starts.</summary>
    public long Line { get; set; }

    /// <summary>The byte offset of the input where the record starts: a resume point.</summary>
    public long Offset { get; set; }

    /// <summary>The event as JSON when <see cref="Error"/> is null.</summary>
    public ArrayBufferWriter<byte> Json { get; } = new(1024);

    /// <summary>Why the record was refused before sending (unreadable JSON, not an object, too long).</summary>
    public string? Error { get; set; }

    /// <summary>The record's text as it was in the input, for the rejected file (set with <see cref="Error"/>).</summary>
    public string? Raw { get; set; }

    /// <summary>A hash of the event's <c>external_customer_id</c> (as written), to send a customer's events together.</summary>
    public ulong CustomerKey { get; set; }

    public void Reset(long line, long offset)
    {
        Line = line;
        Offset = offset;
        Json.ResetWrittenCount();
        Error = null;
        Raw = null;
        CustomerKey = 0;
    }
}
