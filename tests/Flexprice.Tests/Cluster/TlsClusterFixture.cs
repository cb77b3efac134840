using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// Two silos of a fresh cluster that talk TLS to each other and to clients, both with one self-signed
/// cluster certificate (a PFX made for this run) and no CA: each accepts only peers that present it.
/// </summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    public const int Silos = 2;

    private readonly List<IHost> _silos = [];

    public TestCertificates Certificates { get; } = new();

    public string ClusterId { get; } = "tls-" + Guid.NewGuid().ToString("N");

    public X509Certificate2 ClusterCertificate { get; private set; } = null!;

    /// <summary>The settings every node of this cluster is given.</summary>
    public Dictionary<string, string?> ClusterTls { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (ClusterCertificate, var pfx) = Certificates.SelfSigned("flexprice-cluster");
        ClusterTls = new()
        {
            ["Orleans:Tls:CertificatePath"] = pfx,
            ["Orleans:Tls:CertificatePassword"] = TestCertificates.Password,
        };
        for (var i = 0; i < Silos; i++)
        {
            _silos.Add(await TlsNodes.StartSiloAsync(ClusterId, ClusterTls));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.StopAsync();
            silo.Dispose();
        }

        Certificates.Dispose();
    }
}
