namespace Flexprice.Silo.Telemetry;

/// <summary>
/// OpenTelemetry (configuration section <c>Telemetry</c>). Metrics are always collected while
/// <see cref="Enabled"/>; traces only when they have somewhere to go (an OTLP endpoint, or
/// <see cref="Tracing"/>), since an unexported span is pure cost.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Off: no OpenTelemetry at all (no <c>/metrics</c>, no export); the instruments then cost a branch each.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Record traces even without an OTLP endpoint (for an exporter added by the host, e.g. tests).</summary>
    public bool Tracing { get; set; }

    /// <summary>Where Prometheus scrapes, on every API node and standalone silo.</summary>
    public string MetricsPath { get; set; } = "/metrics";
}
