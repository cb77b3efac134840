using System.Security.Cryptography;

namespace Flexprice.Client.Events;

/// <summary>Client-made event ids: <c>evt_</c> and a ULID (time-ordered, 80 random bits from <see cref="RandomNumberGenerator"/>).</summary>
public static class EventIds
{
    public const string Prefix = "evt_";

    public static string New(DateTimeOffset now)
    {
        Span<byte> randomness = stackalloc byte[10];
        RandomNumberGenerator.Fill(randomness);
        return Prefix + Ulid.NewUlid(now, randomness).ToString();
    }
}
