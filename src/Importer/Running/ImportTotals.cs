namespace Flexprice.Importer.Running;

/// <summary>
/// Counts over every record done so far (all runs of one import). Each record ends as exactly one of
/// sent or refused, so <c>Sent + Refused = Records</c>.
/// </summary>
/// <param name="Sent">Events acknowledged by the server (202), duplicates included.</param>
/// <param name="Duplicates">Of those, events the server reported as already stored (counted zero more times).</param>
/// <param name="Unreported">Events acknowledged by answers that did not say how many were duplicates.</param>
/// <param name="Refused">Records written to the rejected file.</param>
public sealed record ImportTotals(long Records, long Sent, long Duplicates, long Unreported, long Refused)
{
    public static readonly ImportTotals Zero = new(0, 0, 0, 0, 0);

    public ImportTotals Add(ImportChunk chunk) =>
        new(Records + chunk.Records, Sent + chunk.Sent, Duplicates + chunk.Duplicates, Unreported + chunk.Unreported, Refused + chunk.Rejections.Count);
}
