namespace Flexprice.Silo;

/// <summary>
/// How a process joins the cluster (configuration section <c>Orleans</c>; its sub-sections <c>Tls</c>,
/// <c>Membership</c>, <c>Messaging</c> and <c>Gateway</c> are bound to their own options).
/// </summary>
public sealed class OrleansHostingOptions
{
    public const string Section = "Orleans";

    /// <summary><c>silo</c>: this process co-hosts a silo; <c>client</c>: it is an Orleans client of the cluster's silos.</summary>
    public string Mode { get; set; } = "silo";

    /// <summary>Silos and clients of one deployment share it.</summary>
    public string ClusterId { get; set; } = "flexprice";

    /// <summary>Silos and clients of one deployment share it.</summary>
    public string ServiceId { get; set; } = "flexprice";

    /// <summary>The port silos talk to each other on.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients (API nodes in client mode) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address this silo gives the others; loopback when empty.</summary>
    public string AdvertisedIP { get; set; } = "";

    /// <summary>Listen on every interface (silo, gateway and a standalone silo's HTTP port) rather than on loopback only.</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>How long an Orleans client keeps trying to reach a gateway when it starts.</summary>
    public TimeSpan ClientConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsClient => string.Equals(Mode, "client", StringComparison.OrdinalIgnoreCase);
}
