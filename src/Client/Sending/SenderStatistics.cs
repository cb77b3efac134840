namespace Flexprice.Client.Sending;

/// <summary>
/// What the background sender has done since it started. Every tracked event ends as exactly one of
/// sent, refused or failed, or was dropped before it was queued; until then it is pending.
/// </summary>
/// <param name="Tracked">Events queued by <c>Track</c>/<c>TrackAsync</c> (not counting dropped ones).</param>
/// <param name="Sent">Events acknowledged by the server (202), duplicates included.</param>
/// <param name="Duplicates">Of those, events the server reported as already stored (counted zero more times).</param>
/// <param name="SentWithoutDuplicateReport">Events acknowledged in answers that did not report duplicates (older servers).</param>
/// <param name="Dropped">Events dropped because the buffer was full.</param>
/// <param name="Refused">Events the server refused (400/409 for that event).</param>
/// <param name="Failed">Events given up on unacknowledged (key or URL refused; shutdown timeout).</param>
/// <param name="Pending">Events held now: queued or in flight.</param>
public sealed record SenderStatistics(long Tracked, long Sent, long Duplicates, long SentWithoutDuplicateReport, long Dropped, long Refused, long Failed, long Pending);
