using System.Security.Cryptography;

namespace Flexprice.Importer.Input;

/// <summary>The SHA-256 of a file's content (lowercase hex): a resume continues only the file its checkpoint was made for.</summary>
public static class FileFingerprint
{
    public static async Task<string> ComputeAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }
}
