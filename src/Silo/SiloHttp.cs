using System.Net;
using Microsoft.Extensions.Configuration;

namespace Flexprice.Silo;

/// <summary>Where a standalone silo serves <c>/metrics</c>: <c>Silo:HttpPort</c> (9464), on loopback unless <c>Orleans:ListenOnAnyHostAddress</c>.</summary>
public static class SiloHttp
{
    public static int Port(IConfiguration configuration) =>
        (configuration.GetSection(SiloHttpOptions.Section).Get<SiloHttpOptions>() ?? new SiloHttpOptions()).HttpPort;

    public static IPAddress Address(IConfiguration configuration) =>
        configuration.OrleansHosting().ListenOnAnyHostAddress ? IPAddress.Any : IPAddress.Loopback;
}
