using System.Globalization;

namespace Flexprice.Api.Infrastructure;

/// <summary>Decimals as Flexprice's SDKs read quantities: a string, invariant, without trailing zeros ("8", not "8.0").</summary>
public static class DecimalText
{
    public static string Of(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);
}
