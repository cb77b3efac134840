using System.Text.Json;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Usage;

/// <summary>
/// Answers usage queries from the event log. Read-your-writes holds because an event is committed to the
/// log before its 202 is written; the answer is the pure <see cref="UsageCalculator"/> over the logged events.
/// </summary>
public sealed class UsageQueryService(EventLog log)
{
    public async Task<UsageAnswer> QueryAsync(
        string tenantId, string? externalCustomerId, string eventName, MeterSpec meter, UsageRange range, CancellationToken cancellationToken)
    {
        var rows = await log.ReadUsageAsync(tenantId, externalCustomerId, eventName, range.Start, range.End, cancellationToken);
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
