using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Flexprice.Grains.Storage;

/// <summary>
/// Flexprice-style identifiers and secrets. Ids are a prefix and a 26-character ULID whose 80-bit random
/// part comes from the operating system's cryptographic generator, so no id a client sees says anything
/// about another (the ULID library's own generator is a per-thread XorShift whose state any id reveals).
/// API keys are <c>sk_</c> and 43 base62 characters: 256 bits from the cryptographic generator.
/// </summary>
public static class Ids
{
    public const string ApiKeyPrefix = "sk_";

    /// <summary>Characters of an API key after its prefix: 62^43 ≥ 2^256.</summary>
    public const int ApiKeyRandomChars = 43;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix, TimeProvider time)
    {
        Span<byte> bytes = stackalloc byte[16];
        // 48 bits of milliseconds, big-endian, then 80 random bits: the ULID layout.
        BinaryPrimitives.WriteInt64BigEndian(bytes[..8], time.GetUtcNow().ToUnixTimeMilliseconds() << 16);
        RandomNumberGenerator.Fill(bytes[6..]);
        return Format(prefix, new Ulid(bytes));
    }

    /// <summary><c>prefix_ULID</c>, written straight into the one string it makes.</summary>
    private static string Format(string prefix, Ulid ulid) => string.Create(prefix.Length + 27, (prefix, ulid), static (chars, state) =>
    {
        state.prefix.AsSpan().CopyTo(chars);
        chars[state.prefix.Length] = '_';
        state.ulid.TryWriteStringify(chars[(state.prefix.Length + 1)..]);
    });

    /// <summary>
    /// An id in the same shape, made again the same every time from its inputs: the ULID of <paramref name="time"/>
    /// whose random part is the first 80 bits of SHA-256 over <paramref name="seed"/>. For ids a retry must find again.
    /// </summary>
    public static string Derived(string prefix, DateTimeOffset time, ReadOnlySpan<byte> seed)
    {
        Span<byte> bytes = stackalloc byte[16];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(seed, hash);
        BinaryPrimitives.WriteInt64BigEndian(bytes[..8], time.ToUnixTimeMilliseconds() << 16);
        hash[..10].CopyTo(bytes[6..]);
        return Format(prefix, new Ulid(bytes));
    }

    /// <summary>A new raw API key: <c>sk_</c> and 256 random bits in base62 (each character drawn without bias).</summary>
    public static string NewApiKey() => ApiKeyPrefix + RandomNumberGenerator.GetString(Base62, ApiKeyRandomChars);

    /// <summary>How API keys are stored: the lowercase SHA-256 hex of the raw key.</summary>
    public static string HashApiKey(string rawKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashApiKey(rawKey, hash);
        return ApiKeyHashText(hash);
    }

    /// <summary>The stored form (lowercase hex) of a key's SHA-256 from <see cref="HashApiKey(ReadOnlySpan{char}, Span{byte})"/>.</summary>
    public static string ApiKeyHashText(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>The SHA-256 of the raw key (<see cref="SHA256.HashSizeInBytes"/> bytes) into <paramref name="hash"/>: what <see cref="HashApiKey(string)"/> writes in hex.</summary>
    public static void HashApiKey(ReadOnlySpan<char> rawKey, Span<byte> hash)
    {
        // On every request: the key's bytes stay on the stack (a key longer than any this server makes goes to a
        // rented buffer).
        var length = Encoding.UTF8.GetMaxByteCount(rawKey.Length);
        byte[]? rented = null;
        var bytes = length <= 512 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(rawKey, bytes)], hash);
        }
        finally
        {
            // The raw key's bytes are a secret: none left behind, on the stack or in the pool.
            CryptographicOperations.ZeroMemory(bytes);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>What a key looks like in lists: its first five and last two characters.</summary>
    public static string DisplayId(string rawKey) => rawKey.Length <= 7 ? rawKey : $"{rawKey[..5]}...{rawKey[^2..]}";
}
