using System.Diagnostics.Metrics;
using Meter = System.Diagnostics.Metrics.Meter;
using Flexprice.Silo.Telemetry;

namespace Flexprice.Api.Telemetry;

/// <summary>The instruments of meter <c>Flexprice.Usage</c>.</summary>
public sealed class UsageMetrics
{
    private static readonly InstrumentAdvice<double> LatencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly Histogram<double> _duration;
    private readonly TimeProvider _time;

    public UsageMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        Meter = meters.Create(FlexpriceMeters.Usage);
        _duration = Meter.CreateHistogram(
            "flexprice.usage.query.duration", "s", "Time to answer one usage query, by source: memory (the customer's grain) or log (the event log in PostgreSQL)", advice: LatencyBuckets);
    }

    public Meter Meter { get; }

    public long Start() => _time.GetTimestamp();

    public void Answered(string source, long started) =>
        _duration.Record(_time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("source", source));
}
