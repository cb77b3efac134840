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
public sealed class UsageQueryService(GrainRefs grains, EventQueries log, UsageMetrics metrics, IHttpContextAccessor http)
{
    public const string FromMemory = "memory";
    public const string FromLog = "log";

    /// <summary>
    /// Response header of a usage answer computed from the log over a range that starts before the time retention
    /// (<c>Retention__Days</c>) dropped events before: that time, ISO 8601 UTC. The answer counts no dropped event.
    /// </summary>
    public const string RetainedFromHeader = "Flexprice-Retained-From";

    /// <summary>The answer and where it came from (<see cref="FromMemory"/> or <see cref="FromLog"/>), or null when <paramref name="externalCustomerId"/> names no customer of the tenant.</summary>
    public async Task<(UsageAnswer Answer, string Source)?> QueryAsync(string tenantId, string? externalCustomerId, UsageQuery query, CancellationToken cancellationToken)
    {
        var started = metrics.Start();
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

        var fromLog = await ComputeFromLogAsync(tenantId, externalCustomerId, query, cancellationToken);
        metrics.Answered(FromLog, started);
        return (fromLog, FromLog);
    }

    /// <summary>The answer computed from the event log alone.</summary>
    public async Task<UsageAnswer> FromLogAsync(string tenantId, string? externalCustomerId, UsageQuery query, CancellationToken cancellationToken)
    {
        var started = metrics.Start();
        var answer = await ComputeFromLogAsync(tenantId, externalCustomerId, query, cancellationToken);
        metrics.Answered(FromLog, started);
        return answer;
    }

    private async Task<UsageAnswer> ComputeFromLogAsync(string tenantId, string? externalCustomerId, UsageQuery query, CancellationToken cancellationToken)
    {
        if (await log.RetainedFromAsync(cancellationToken) is { } retainedFrom && query.Start < retainedFrom && http.HttpContext is { } context)
        {
            context.Response.Headers[RetainedFromHeader] = retainedFrom.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        var rows = await log.ReadUsageAsync(tenantId, externalCustomerId, query.EventName, query.Start, query.End, cancellationToken);
        var documents = new List<JsonDocument>(rows.Count);
        try
        {
            var events = new List<UsageEvent>(rows.Count);
            foreach (var row in rows)
            {
                var document = JsonDocument.Parse(row.PropertiesJson);
                documents.Add(document);
                events.Add(new UsageEvent(DateTime.SpecifyKind(row.Timestamp, DateTimeKind.Utc), row.Order, document.RootElement));
            }

            var (meter, range) = UsageCalculator.From(query);
            return UsageCalculator.Compute(meter, range, events);
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }
}
