using Microsoft.AspNetCore.Http.Features;

namespace Flexprice.Api.Infrastructure;

public static class RawRouteValue
{
    /// <summary>
    /// A path parameter as the client escaped it. The server decodes every escape of a path except
    /// <c>%2F</c>, so a route value keeps a <c>/</c> of the value as <c>%2F</c>, and cannot tell it from
    /// the text <c>%2F</c> (sent as <c>%252F</c>). A value with no <c>%</c> left in it is exact; otherwise
    /// the same segment of the raw request target (the path keeps its segments, since <c>%2F</c> was
    /// not decoded) is decoded whole.
    /// </summary>
    public static string Unescaped(HttpContext http, string routeValue)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!routeValue.Contains('%') || string.IsNullOrEmpty(target))
        {
            return routeValue;
        }

        var rawPath = target.AsSpan();
        if (rawPath.IndexOf('?') is var query and >= 0)
        {
            rawPath = rawPath[..query];
        }

        var raw = rawPath.ToString().Split('/');
        var matched = (http.Request.PathBase + http.Request.Path).Value!.Split('/');
        if (raw.Length != matched.Length)
        {
            return routeValue;
        }

        var index = Array.IndexOf(matched, routeValue);
        return index < 0 ? routeValue : Uri.UnescapeDataString(raw[index]);
    }
}
