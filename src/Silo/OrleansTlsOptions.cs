namespace Flexprice.Silo;

/// <summary>
/// TLS for silo-to-silo and client-to-gateway connections (<c>Orleans:Tls</c>), mutually authenticated:
/// every node presents <see cref="CertificatePath"/> and accepts only peers whose certificate chains to
/// <see cref="TrustedCertificatePath"/>, or, when that is not set, peers that present this very certificate.
/// Off while no setting of the section is given.
/// </summary>
public sealed class OrleansTlsOptions
{
    public const string Section = "Orleans:Tls";

    /// <summary>This node's certificate with its private key: a PFX (PKCS#12) file, or a PEM certificate when <see cref="KeyPath"/> is set.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of the PFX, or of an encrypted PEM key; none if unset.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// PEM file of the certificates that anchor trust (a private CA): a peer is accepted if its certificate
    /// chains to one of them. Unset: a peer is accepted only if it presents the same certificate as this node.
    /// </summary>
    public string? TrustedCertificatePath { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath) || !string.IsNullOrEmpty(KeyPath)
        || !string.IsNullOrEmpty(CertificatePassword) || !string.IsNullOrEmpty(TrustedCertificatePath);
}
