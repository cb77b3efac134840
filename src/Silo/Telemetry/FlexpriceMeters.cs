using Flexprice.Grains.Storage;

namespace Flexprice.Silo.Telemetry;

/// <summary>The names of the meters and activity sources a Flexprice process publishes.</summary>
public static class FlexpriceMeters
{
    /// <summary>Ingestion at the API: events accepted, duplicate, conflict; requests rejected by reason; latency per route; bulk size.</summary>
    public const string Ingestion = "Flexprice.Ingestion";

    /// <summary>Usage queries at the API: latency by source (grain memory or event log).</summary>
    public const string Usage = "Flexprice.Usage";

    /// <summary>The silo's group-commit writer: flush sizes, durations, failures; also its activity source (one span per flush).</summary>
    public const string EventLog = EventLogWriter.MeterName;

    /// <summary>Orleans' own meter (grain calls, activations, messaging, membership).</summary>
    public const string Orleans = "Microsoft.Orleans";

    /// <summary>Orleans' activity sources: grain calls from the caller's and the callee's side.</summary>
    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];
}
