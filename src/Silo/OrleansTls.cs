using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Flexprice.Silo;

/// <summary>
/// Mutually authenticated TLS on every Orleans connection when <see cref="OrleansTlsOptions"/> are given:
/// silo to silo (both ways) and client to gateway. A peer that offers no certificate, or one that does not
/// chain to the trusted certificates, is refused during the handshake, before any Orleans message is read.
/// </summary>
public static class OrleansTls
{
    public static ISiloBuilder UseFlexpriceTls(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<OrleansTlsOptions>().BindConfiguration(OrleansTlsOptions.Section);
        // Read when the silo starts (as every other setting), not when the builder is made.
        silo.Services.AddOptions<SiloConnectionOptions>()
            .Configure<IOptions<OrleansTlsOptions>, TimeProvider, ILoggerFactory>((connections, settings, time, logs) =>
            {
                if (Create(settings.Value, time, logs) is { } tls)
                {
                    connections.ConfigureSiloInboundConnection(connection => connection.UseServerTls(tls));
                    connections.ConfigureGatewayInboundConnection(connection => connection.UseServerTls(tls));
                    connections.ConfigureSiloOutboundConnection(connection => connection.UseClientTls(tls));
                }
            });
        return silo;
    }

    public static IClientBuilder UseFlexpriceTls(this IClientBuilder client)
    {
        client.Services.AddOptions<OrleansTlsOptions>().BindConfiguration(OrleansTlsOptions.Section);
        client.Services.AddOptions<ClientConnectionOptions>()
            .Configure<IOptions<OrleansTlsOptions>, TimeProvider, ILoggerFactory>((connections, settings, time, logs) =>
            {
                if (Create(settings.Value, time, logs) is { } tls)
                {
                    connections.ConfigureConnection(connection => connection.UseClientTls(tls));
                }
            });
        return client;
    }

    /// <summary>The options of Orleans' TLS middleware, or null when TLS is not configured.</summary>
    private static TlsOptions? Create(OrleansTlsOptions settings, TimeProvider time, ILoggerFactory logs)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        var certificate = LoadCertificate(settings);
        // Without a CA the node's own certificate is the only trust anchor: every node shares that one
        // (typically self-signed) certificate, and a peer must present it.
        var trusted = settings.TrustedCertificatePath is { Length: > 0 } path
            ? LoadTrusted(path)
            : [X509CertificateLoader.LoadCertificate(certificate.RawData)];
        var log = logs.CreateLogger(typeof(OrleansTls).FullName!);
        return new TlsOptions
        {
            LocalCertificate = certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
            // Replaces the platform's check, whose verdict (untrusted root, and a name mismatch, since
            // silos are dialled by IP) says nothing here: trust is the chain to the anchors, at the current time.
            RemoteCertificateValidation = (remote, _, _) => IsTrusted(remote, trusted, time, log),
        };
    }

    private static bool IsTrusted(X509Certificate2 remote, X509Certificate2Collection trusted, TimeProvider time, ILogger log)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        var valid = chain.Build(remote);
        if (!valid)
        {
            log.LogWarning("Refused an Orleans connection: the peer's certificate {Subject} ({Thumbprint}) is not trusted: {Status}",
                remote.Subject, remote.Thumbprint, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        }

        return valid;
    }

    private static X509Certificate2 LoadCertificate(OrleansTlsOptions settings)
    {
        var path = settings.CertificatePath is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{OrleansTlsOptions.Section}:CertificatePath is required when any {OrleansTlsOptions.Section} setting is given.");
        X509Certificate2 certificate;
        try
        {
            certificate = (settings.KeyPath, settings.CertificatePassword) switch
            {
                ({ Length: > 0 } key, { Length: > 0 } password) => X509Certificate2.CreateFromEncryptedPemFile(path, password, key),
                ({ Length: > 0 } key, _) => X509Certificate2.CreateFromPemFile(path, key),
                _ => X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword),
            };
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new InvalidOperationException($"{OrleansTlsOptions.Section}: cannot load the certificate {path}: {ex.Message}", ex);
        }

        return certificate.HasPrivateKey
            ? certificate
            : throw new InvalidOperationException($"{OrleansTlsOptions.Section}: the certificate {path} has no private key (give a PFX, or a PEM certificate with KeyPath).");
    }

    private static X509Certificate2Collection LoadTrusted(string path)
    {
        var trusted = new X509Certificate2Collection();
        try
        {
            trusted.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new InvalidOperationException($"{OrleansTlsOptions.Section}:TrustedCertificatePath: cannot read {path}: {ex.Message}", ex);
        }

        return trusted.Count > 0
            ? trusted
            : throw new InvalidOperationException($"{OrleansTlsOptions.Section}:TrustedCertificatePath: {path} holds no PEM certificate.");
    }
}
