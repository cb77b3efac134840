namespace Flexprice.Importer.Input;

/// <summary>Reads an input file record by record, in order, in constant memory.</summary>
public interface IRecordSource : IDisposable
{
    /// <summary>Fills <paramref name="record"/> with the next record; false at the end of the input.</summary>
    bool Read(SourceRecord record);

    /// <summary>The byte offset just past the input: the resume point once every record is done.</summary>
    long EndOffset { get; }

    /// <summary>The 1-based line that follows the input's last line.</summary>
    long EndLine { get; }
}
