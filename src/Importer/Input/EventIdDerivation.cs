using System.Globalization;
using System.Security.Cryptography;

namespace Flexprice.Importer.Input;

/// <summary>
/// The id of an event whose record names none: <c>imp_&lt;line&gt;_&lt;24 hex digits of the SHA-256 of the
/// record's text&gt;</c>. The same file gives the same ids on every run, so a run that is repeated or
/// resumed counts nothing twice. Because it depends only on the record itself and its line, a file
/// that grows (lines appended) or has a refused line fixed keeps the ids of all its other records;
/// inserting or deleting lines shifts the line numbers of those after them, so give events ids of
/// their own when files are edited that way.
/// </summary>
public static class EventIdDerivation
{
    public const string Prefix = "imp_";

    public static string Derive(ReadOnlySpan<byte> recordText, long line)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(recordText, hash);
        return string.Create(CultureInfo.InvariantCulture, $"{Prefix}{line}_{Convert.ToHexStringLower(hash[..12])}");
    }
}
