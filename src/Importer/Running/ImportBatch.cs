using Flexprice.Client.Events;

namespace Flexprice.Importer.Running;

/// <summary>
/// A run of consecutive records: the events to send as one bulk (tagged with their lines), the
/// records refused so far, and where the input stands after the run (the resume point). Batches are
/// pooled: the importer holds a fixed number of them, which bounds its memory.
/// </summary>
public sealed class ImportBatch
{
    public long Sequence { get; set; }

    public EventBatch Events { get; } = new();

    public List<Rejection> Rejections { get; } = [];

    /// <summary>Records in the batch: events and records refused before sending.</summary>
    public int Records { get; set; }

    /// <summary>The byte offset where the next batch starts.</summary>
    public long EndOffset { get; set; }

    /// <summary>The line where the next batch starts.</summary>
    public long EndLine { get; set; }

    /// <summary>Events acknowledged (202), duplicates included.</summary>
    public long Sent { get; set; }

    /// <summary>Of those, events the server reported as already stored.</summary>
    public long Duplicates { get; set; }

    /// <summary>Events acknowledged by answers that did not report duplicates.</summary>
    public long Unreported { get; set; }

    public void Reset(long sequence)
    {
        Sequence = sequence;
        Events.Clear();
        Rejections.Clear();
        Records = 0;
        Sent = Duplicates = Unreported = 0;
    }
}
