namespace Flexprice.Silo;

/// <summary>A standalone silo's HTTP port, for <c>/metrics</c> and <c>/health/live</c> (configuration section <c>Silo</c>).</summary>
public sealed class SiloHttpOptions
{
    public const string Section = "Silo";

    public int HttpPort { get; set; } = 9464;
}
