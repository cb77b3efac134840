using Flexprice.Client.Events;

namespace Flexprice.Client.Sending;

/// <summary>
/// The rule for getting a batch of events counted, used by the background sender and the importer:
/// send it as one bulk; if the server refuses some of its events and names them (400 or 409 with
/// per-index errors), set those aside and send the rest; if it refuses without naming any, halve the
/// batch until the culprits stand alone; on a transient failure (no answer, 408, 429, 5xx) send the
/// same events, with the same ids, again after the server's <c>Retry-After</c> or an exponential
/// backoff with jitter, for as long as it takes (until <c>cancellationToken</c>). A request that
/// cannot succeed whatever its events (401, 403, 404) throws <see cref="FlexpriceApiException"/>.
/// </summary>
public sealed class BulkDelivery(FlexpriceClient client, TimeProvider time, TimeSpan retryDelay, TimeSpan maxRetryDelay)
{
    public async Task DeliverAsync(EventBatch batch, IBulkOutcomes outcomes, CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (batch.Count > 0)
        {
            var result = await client.SendBulkAsync(batch, cancellationToken: cancellationToken);
            switch (result.Status)
            {
                case SendStatus.Accepted:
                    outcomes.Accepted(batch, result.Duplicates);
                    return;

                case SendStatus.Refused when result.Errors is { Count: > 0 } errors && errors.All(e => e.Index >= 0 && e.Index < batch.Count):
                    foreach (var error in errors.DistinctBy(e => e.Index))
                    {
                        outcomes.Refused(batch, error.Index, error.Error, result.StatusCode);
                    }

                    batch.Remove(errors.Select(e => e.Index));
                    attempt = 0;
                    break;

                case SendStatus.Refused when batch.Count == 1:
                    outcomes.Refused(batch, 0, result.Error ?? "refused", result.StatusCode);
                    return;

                case SendStatus.Refused:
                    var half = batch.Count / 2;
                    foreach (var (start, count) in new[] { (0, half), (half, batch.Count - half) })
                    {
                        var piece = new EventBatch();
                        for (var i = start; i < start + count; i++)
                        {
                            piece.Add(batch.EventAt(i), batch.TagAt(i));
                        }

                        await DeliverAsync(piece, outcomes, cancellationToken);
                    }

                    return;

                case SendStatus.Denied:
                    throw new FlexpriceApiException((System.Net.HttpStatusCode)result.StatusCode, result.Error ?? "denied", result.Errors ?? []);

                default:
                    attempt++;
                    var delay = result.RetryAfter ?? Backoff(attempt);
                    outcomes.Retrying(result, attempt, delay);
                    await Task.Delay(delay, time, cancellationToken);
                    break;
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = retryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        var capped = Math.Min(exponential, maxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
    }
}
