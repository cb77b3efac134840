using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Flexprice.Tests.Cluster;

/// <summary>
/// Certificates made for one test run, written to a temporary folder as an operator would give them
/// to a node: a PFX with a password, or PEM certificate and key files (each file named uniquely, as
/// certificates may share a name). Valid from yesterday to tomorrow.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string Password = "test-pfx-password";

    private static readonly OidCollection ServerAndClientAuth = [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")];

    private readonly string _folder = Directory.CreateTempSubdirectory("flexprice-tls-").FullName;

    /// <summary>A self-signed certificate for TLS servers and clients, as a PFX file.</summary>
    public (X509Certificate2 Certificate, string PfxPath) SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(name, key);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate, WritePfx(name, certificate));
    }

    /// <summary>A certificate authority, its certificate as a PEM file (the trust anchor).</summary>
    public (X509Certificate2 Certificate, string PemPath) Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        return (certificate, WritePem(name, certificate.ExportCertificatePem()));
    }

    /// <summary>
    /// A node certificate signed by <paramref name="authority"/>, as PEM certificate and key files; the key
    /// encrypted with <paramref name="keyPassword"/> if one is given.
    /// </summary>
    public (X509Certificate2 Certificate, string CertificatePath, string KeyPath) IssuedBy(X509Certificate2 authority, string name, string? keyPassword = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(name, key);
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(16));
        var certificate = issued.CopyWithPrivateKey(key);
        var keyPem = keyPassword is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(keyPassword, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
        return (certificate, WritePem(name, certificate.ExportCertificatePem()), WritePem(name + ".key", keyPem));
    }

    /// <summary>The public part of <paramref name="certificate"/> as a PEM file.</summary>
    public string PublicPem(X509Certificate2 certificate, string name) => WritePem(name, certificate.ExportCertificatePem());

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CertificateRequest LeafRequest(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ServerAndClientAuth, false));
        return request;
    }

    private string WritePfx(string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(_folder, $"{name}-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }

    private string WritePem(string name, string pem)
    {
        var path = Path.Combine(_folder, $"{name}-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, pem);
        return path;
    }
}
