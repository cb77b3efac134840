using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;
using Orleans.Runtime.Messaging;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// TLS between silos and from clients to gateways (<c>Orleans:Tls:*</c>): nodes that hold the cluster's
/// certificate (or one from its CA) work together; anyone else is refused during the handshake, whatever
/// it does or does not check on its side.
/// </summary>
public sealed class TlsTests(TlsClusterFixture cluster) : IClassFixture<TlsClusterFixture>
{
    [Fact]
    public async Task Silos_with_the_cluster_certificate_form_one_cluster_and_serve_a_client_that_has_it()
    {
        using var client = await TlsNodes.StartClientAsync(cluster.ClusterId, cluster.ClusterTls);

        // Both silos are Active (a joining silo must reach the others), and each answers a call routed
        // between silos; then an ordinary grain call.
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var silos = await management.GetHosts(onlyActive: true);
        Assert.Equal(TlsClusterFixture.Silos, silos.Count);
        var statistics = await management.GetRuntimeStatistics([.. silos.Keys]);
        Assert.Equal(TlsClusterFixture.Silos, statistics.Length);
        await client.PingAsync();
    }

    public static TheoryData<string> Strangers => ["no TLS", "TLS without a certificate", "TLS with another self-signed certificate"];

    [Theory]
    [MemberData(nameof(Strangers))]
    public async Task The_gateway_refuses_a_client_without_the_cluster_certificate_even_one_that_checks_nothing(string stranger)
    {
        var (otherCertificate, _) = cluster.Certificates.SelfSigned("stranger");
        Action<IClientBuilder> connections = stranger switch
        {
            "no TLS" => _ => { },
            "TLS without a certificate" => client => client.UseTls(tls => tls.AllowAnyRemoteCertificate()),
            _ => client => client.UseTls(otherCertificate, tls => tls.AllowAnyRemoteCertificate()),
        };

        await AssertRefusedAsync(() => TlsNodes.StartForeignClientAsync(cluster.ClusterId, connections));
    }

    [Fact]
    public async Task The_same_foreign_client_holding_the_cluster_certificate_is_served()
    {
        // The control of the test above: what refuses those clients is the certificate they lack.
        using var client = await TlsNodes.StartForeignClientAsync(
            cluster.ClusterId, connections => connections.UseTls(cluster.ClusterCertificate, tls => tls.AllowAnyRemoteCertificate()));

        await client.PingAsync();
    }

    [Fact]
    public async Task A_client_refuses_a_gateway_whose_certificate_it_does_not_trust()
    {
        // The client presents the cluster certificate, which the silos accept, but trusts only another one.
        var (unrelated, _) = cluster.Certificates.SelfSigned("unrelated");
        var settings = new Dictionary<string, string?>(cluster.ClusterTls)
        {
            ["Orleans:Tls:TrustedCertificatePath"] = cluster.Certificates.PublicPem(unrelated, "unrelated"),
        };

        await AssertRefusedAsync(() => TlsNodes.StartClientAsync(cluster.ClusterId, settings));
    }

    [Fact]
    public async Task A_silo_with_another_certificate_cannot_join_the_cluster()
    {
        var (_, impostorPfx) = cluster.Certificates.SelfSigned("impostor");
        var impostor = new Dictionary<string, string?>
        {
            ["Orleans:Tls:CertificatePath"] = impostorPfx,
            ["Orleans:Tls:CertificatePassword"] = TestCertificates.Password,
        };

        // It fails in one of two ways, whichever comes first: its own connectivity check gives up (no silo answers it),
        // or the cluster, whose probes it cannot answer either, declares it dead while it still tries, and its host
        // stops (StopHostOnFatalError), which cancels the start.
        var refused = await Record.ExceptionAsync(() => TlsNodes.StartSiloAsync(cluster.ClusterId, impostor));
        Assert.True(
            refused is OrleansClusterConnectivityCheckFailedException or OperationCanceledException,
            $"expected a failed connectivity check or a start cancelled by the cluster's verdict, got {refused?.GetType().Name ?? "no exception: the silo joined"}");
    }

    [Fact]
    public async Task Nodes_with_certificates_from_the_configured_ca_trust_each_other_and_no_other_ca()
    {
        using var certificates = new TestCertificates();
        var (authority, authorityPem) = certificates.Authority("flexprice-test-ca");
        var (_, siloPem, siloKey) = certificates.IssuedBy(authority, "silo-0");
        var (_, apiPem, apiKey) = certificates.IssuedBy(authority, "api-0", keyPassword: "api-key-password");
        // Same names, other keys: only the signature tells them apart.
        var (otherAuthority, _) = certificates.Authority("flexprice-test-ca");
        var (impostor, _, _) = certificates.IssuedBy(otherAuthority, "api-0");
        var clusterId = "tls-ca-" + Guid.NewGuid().ToString("N");

        using var silo = await TlsNodes.StartSiloAsync(clusterId, new Dictionary<string, string?>
        {
            ["Orleans:Tls:CertificatePath"] = siloPem,
            ["Orleans:Tls:KeyPath"] = siloKey,
            ["Orleans:Tls:TrustedCertificatePath"] = authorityPem,
        });
        try
        {
            using (var client = await TlsNodes.StartClientAsync(clusterId, new Dictionary<string, string?>
            {
                ["Orleans:Tls:CertificatePath"] = apiPem,
                ["Orleans:Tls:KeyPath"] = apiKey,
                ["Orleans:Tls:CertificatePassword"] = "api-key-password",
                ["Orleans:Tls:TrustedCertificatePath"] = authorityPem,
            }))
            {
                await client.PingAsync();
            }

            await AssertRefusedAsync(() => TlsNodes.StartForeignClientAsync(
                clusterId, connections => connections.UseTls(impostor, tls => tls.AllowAnyRemoteCertificate())));
        }
        finally
        {
            await silo.StopAsync();
        }
    }

    [Fact]
    public async Task Tls_settings_without_a_certificate_keep_the_silo_from_starting_rather_than_run_in_clear()
    {
        var settings = new Dictionary<string, string?> { ["Orleans:Tls:TrustedCertificatePath"] = "/nonexistent/ca.pem" };

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(
            () => TlsNodes.StartSiloAsync("tls-misconfigured-" + Guid.NewGuid().ToString("N"), settings));

        Assert.Contains("Orleans:Tls:CertificatePath", refusal.Message);
    }

    /// <summary>The client cannot connect to any gateway (checked by its start, else by its first call).</summary>
    private static async Task AssertRefusedAsync(Func<Task<IHost>> start)
    {
        var refusal = await Record.ExceptionAsync(async () =>
        {
            using var node = await start();
            await node.PingAsync();
        });

        // Refused while connecting, not failed for some other reason (a missing file, a wrong cluster).
        Assert.IsType<ConnectionFailedException>(refusal);
    }
}
