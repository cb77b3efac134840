using System.Diagnostics.Metrics;
using Meter = System.Diagnostics.Metrics.Meter;
using Flexprice.Silo.Telemetry;

namespace Flexprice.Api.Telemetry;

/// <summary>
/// The instruments of meter <c>Flexprice.Ingestion</c>. Counters with a few fixed tags: no allocation per
/// event, one <c>Add</c> per outcome per request.
/// </summary>
public sealed class IngestionMetrics
{
    private static readonly InstrumentAdvice<double> LatencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private static readonly InstrumentAdvice<int> BulkBuckets = new()
    {
        HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    };

    // Tags take objects: boxing a status code on every request would allocate, so each is boxed once.
    private static readonly object[] Statuses = [.. Enumerable.Range(0, 600).Select(code => (object)code)];

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicate;
    private readonly Counter<long> _conflict;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _duration;
    private readonly Histogram<int> _bulkSize;

    private readonly TimeProvider _time;

    public IngestionMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        Meter = meters.Create(FlexpriceMeters.Ingestion);
        _accepted = Meter.CreateCounter<long>("flexprice.ingestion.events.accepted", "{event}", "Events stored and counted (answered 202 for the first time)");
        _duplicate = Meter.CreateCounter<long>("flexprice.ingestion.events.duplicate", "{event}", "Events answered 202 that were already stored (retries), counted zero more times");
        _conflict = Meter.CreateCounter<long>("flexprice.ingestion.events.conflict", "{event}", "Events refused because their event_id was stored with a different payload");
        _rejected = Meter.CreateCounter<long>("flexprice.ingestion.requests.rejected", "{request}", "Ingestion requests refused, by route and reason");
        _duration = Meter.CreateHistogram("flexprice.ingestion.request.duration", "s", "Time to answer an ingestion request, by route and status", advice: LatencyBuckets);
        _bulkSize = Meter.CreateHistogram("flexprice.ingestion.bulk.size", "{event}", "Events in each accepted bulk request", advice: BulkBuckets);
    }

    /// <summary>This host's meter (tests listen to exactly this instance).</summary>
    public Meter Meter { get; }

    /// <summary>Counts the outcomes of one accepted request: new events and retried ones.</summary>
    public void Accepted(int accepted, int duplicate)
    {
        if (accepted > 0)
        {
            _accepted.Add(accepted);
        }

        if (duplicate > 0)
        {
            _duplicate.Add(duplicate);
        }
    }

    public void Conflicts(int conflicts)
    {
        if (conflicts > 0)
        {
            _conflict.Add(conflicts);
        }
    }

    /// <summary>A timestamp to pass to <see cref="Answered"/>.</summary>
    public long Start() => _time.GetTimestamp();

    public void Answered(string route, int status, long started, string? rejection)
    {
        var routeTag = new KeyValuePair<string, object?>("http.route", route);
        _duration.Record(_time.GetElapsedTime(started).TotalSeconds, routeTag, new KeyValuePair<string, object?>("http.response.status_code", BoxedStatus(status)));
        if (rejection is not null)
        {
            _rejected.Add(1, routeTag, new KeyValuePair<string, object?>("reason", rejection));
        }
    }

    public void Bulk(int events) => _bulkSize.Record(events);

    /// <summary>
    /// The reason tag of a refusal: a short, fixed vocabulary (never the message itself, whose values
    /// would make a time series per customer id).
    /// </summary>
    public static string RejectionReason(int status, string? error) => status switch
    {
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status429TooManyRequests => "rate_limited",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        StatusCodes.Status400BadRequest => error switch
        {
            null => "invalid",
            ErrorMessages.InvalidJson => "invalid_json",
            _ when error.StartsWith("Missing required field", StringComparison.Ordinal) => "missing_field",
            _ when error.StartsWith("Event name '", StringComparison.Ordinal) => "unknown_event_name",
            _ when error.StartsWith("Customer with external_customer_id", StringComparison.Ordinal) => "unknown_customer",
            _ when error.StartsWith("Invalid timestamp", StringComparison.Ordinal) => "invalid_timestamp",
            _ when error.StartsWith("A bulk request holds", StringComparison.Ordinal) => "bulk_size",
            _ => "invalid_field",
        },
        >= 500 => "error",
        _ => "other",
    };

    private static object BoxedStatus(int status) => (uint)status < Statuses.Length ? Statuses[status] : status;
}
