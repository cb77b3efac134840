namespace Flexprice.Api.Infrastructure;

/// <summary>The <c>Prefer</c> request header (RFC 7240).</summary>
public static class Preferences
{
    public const string ReturnRepresentation = "return=representation";

    /// <summary>True when the client asked for <c>return=representation</c> (tokens case-insensitive, parameters ignored).</summary>
    public static bool WantsRepresentation(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? "").Split(','))
            {
                var token = preference.Split(';')[0].Replace(" ", "", StringComparison.Ordinal).Trim('"');
                if (token.Equals(ReturnRepresentation, StringComparison.OrdinalIgnoreCase) || token.Equals("return=\"representation\"", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
