namespace Flexprice.Importer.Running;

/// <summary>
/// Where an import stands, written (atomically) as records are done: every record before
/// <see cref="Offset"/> is acknowledged or in the rejected file, whose first <see cref="RejectedBytes"/>
/// bytes hold exactly the refusals counted in <see cref="Totals"/>. A resume continues from here.
/// </summary>
/// <param name="FileSha256">The input's fingerprint: a resume goes on only with the same content.</param>
/// <param name="Offset">The byte offset of the first record not done yet.</param>
/// <param name="Line">The line at <see cref="Offset"/>.</param>
/// <param name="Seconds">Time spent importing, all runs together.</param>
/// <param name="Completed">True once every record is done.</param>
public sealed record Checkpoint(
    int Version, string File, long FileBytes, string FileSha256, string Format,
    long Offset, long Line, ImportTotals Totals, long RejectedBytes, double Seconds, int Runs, bool Completed, DateTimeOffset Written);
