using System.Net;
using Microsoft.Extensions.Configuration;

namespace Flexprice.Silo;

/// <summary>Where a standalone silo serves <c>/metrics</c>: <c>Silo:HttpPort</c> (9464), on loopback unless <c>Orleans:ListenOnAnyHostAddress</c>.</summary>
public static class SiloHttp
{
    public const int DefaultPort = 9464;

    public static int Port(IConfiguration configuration) => configuration.GetValue("Silo:HttpPort", DefaultPort);

    public static IPAddress Address(IConfiguration configuration) =>
        configuration.GetValue("Orleans:ListenOnAnyHostAddress", false) ? IPAddress.Any : IPAddress.Loopback;
}
