using System.Security.Cryptography;
using System.Text;

namespace Flexprice.Grains.Storage;

/// <summary>Flexprice-style identifiers: a prefix and a 26-character ULID.</summary>
public static class Ids
{
    public static string New(string prefix, TimeProvider time) => $"{prefix}_{Ulid.NewUlid(time.GetUtcNow())}";

    /// <summary>How API keys are stored: the lowercase SHA-256 hex of the raw key.</summary>
    public static string HashApiKey(string rawKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rawKey)));

    /// <summary>What a key looks like in lists: its first five and last two characters.</summary>
    public static string DisplayId(string rawKey) => rawKey.Length <= 7 ? rawKey : $"{rawKey[..5]}...{rawKey[^2..]}";
}
