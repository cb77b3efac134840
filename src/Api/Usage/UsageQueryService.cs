using System.Text.Json;
using Flexprice.Api.Telemetry;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Usage;

/// <summary>
/// Answers usage queries. A customer's recent ranges come from its grain's memory (hot); older ranges and
/// tenant-wide queries from the event log (cold). Both compute with the same pure <see cref="UsageCalculator"/>
/// over the same events, so the source never changes the answer; read-your-writes holds on both because an event
/// is in the grain's memory and committed to the log before its 202 is written.
/// </summary>
public sealed class UsageQueryService(GrainRefs grains, EventQueries log, UsageMetrics metrics)
{
    public const string FromMemory = "memory";
    public const string FromLog = "log";

    /// <summary>
    /// Response header of a usage answer computed from the log over a range that starts before the time retention
    /// (<c>Retention__Days</c>) dropped events before: that time, ISO 8601 UTC. The answer counts no dropped event.
    /// </summary>
    public const string RetainedFromHeader = "Flexprice-Retained-From";

    /// <summary>
    /// The answer and where it came from (<see cref="FromMemory"/> or <see cref="FromLog"/>), or null when <paramref name="externalCustomerId"/>
    /// names no customer of the tenant. <paramref name="http"/>: the request asking (its cancellation; the answer's headers).
    /// </summary>
    public async Task<(UsageAnswer Answer, string Source)?> QueryAsync(HttpContext http, string tenantId, string? externalCustomerId, UsageQuery query)
    {
        var started = metrics.Start();
        // Refused before any work when the answer would hold too many windows (400 naming window_size).
        UsageFold.CheckWindows(UsageCalculator.RangeOf(query));
        if (externalCustomerId is not null)
        {
            var result = await grains.Get<ICustomerGrain>(CustomerKey.For(tenantId, externalCustomerId)).QueryUsage(query);
            if (!result.CustomerFound)
            {
                return null;
            }

            if (result.Answer is { } answer)
            {
                metrics.Answered(FromMemory, started);
                return (answer, FromMemory);
            }
        }

        var fromLog = await ComputeFromLogAsync(http, tenantId, externalCustomerId, query);
        metrics.Answered(FromLog, started);
        return (fromLog, FromLog);
    }

    /// <summary>The answer computed from the event log alone.</summary>
    public async Task<UsageAnswer> FromLogAsync(HttpContext http, string tenantId, string? externalCustomerId, UsageQuery query)
    {
        var started = metrics.Start();
        var answer = await ComputeFromLogAsync(http, tenantId, externalCustomerId, query);
        metrics.Answered(FromLog, started);
        return answer;
    }

    /// <summary>
    /// Streams the matching events in time order through a <see cref="UsageFold"/>: one event's JSON is held at a time,
    /// and a bucket's aggregates only until the next bucket begins, so memory does not grow with the range.
    /// </summary>
    private async Task<UsageAnswer> ComputeFromLogAsync(HttpContext http, string tenantId, string? externalCustomerId, UsageQuery query)
    {
        var cancellationToken = http.RequestAborted;
        if (await log.RetainedFromAsync(cancellationToken) is { } retainedFrom && query.Start < retainedFrom)
        {
            http.Response.Headers[RetainedFromHeader] = retainedFrom.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        var meter = query.Meter;
        var fold = new UsageFold(meter, UsageCalculator.RangeOf(query), ordered: true);
        await foreach (var row in log.StreamUsageAsync(tenantId, externalCustomerId, meter.EventName, query.Start, query.End, meter.Aggregation == AggregationType.Latest, cancellationToken))
        {
            using var document = JsonDocument.Parse(row.PropertiesJson);
            fold.Add(new UsageEvent(row.Timestamp, row.Order, document.RootElement));
        }

        return fold.Result();
    }
}
