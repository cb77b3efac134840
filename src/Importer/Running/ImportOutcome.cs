namespace Flexprice.Importer.Running;

/// <summary>How a run ended: the totals of the whole import (all runs), and this run's share.</summary>
/// <param name="Completed">Every record of the file is done (sent or rejected).</param>
/// <param name="Failure">Why the run stopped early (null when completed or interrupted).</param>
/// <param name="RunRecords">Records done in this run.</param>
/// <param name="RunSeconds">This run's time, hashing the file included.</param>
public sealed record ImportOutcome(
    string File, bool Completed, bool Interrupted, string? Failure, ImportTotals Totals, long RunRecords, double RunSeconds, double TotalSeconds, int Runs,
    string RejectedPath, string CheckpointPath)
{
    public double RunEventsPerSecond => RunSeconds > 0 ? RunRecords / RunSeconds : 0;
}
