using System.Net;
using System.Security.Cryptography;
using Flexprice.Grains;
using Flexprice.Grains.Storage;
using Flexprice.Silo.Dashboard;
using Microsoft.AspNetCore.DataProtection;
using Orleans.Dashboard;

namespace Flexprice.Api.Operations;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard</c>, for admin keys of the default tenant (the operator's tenant: the
/// dashboard shows every tenant's grains). A browser cannot send <c>x-api-key</c>, so <c>/dashboard/login</c>
/// takes the key in a form and answers with a cookie: HttpOnly, SameSite=Strict, limited to <c>/dashboard</c>,
/// Secure whenever the request came over HTTPS. The cookie holds neither the key nor anything a client could
/// make: it is the key's SHA-256, sealed with ASP.NET Core Data Protection with an expiry
/// (<c>Dashboard:SessionLifetime</c>, 8 h). Every dashboard request checks the key again, so revoking it ends the
/// session at once. Failed sign-ins count against the client address's failed-authentication budget.
/// </summary>
public static class DashboardApi
{
    public const string CookieName = "flexprice_dashboard";
    private const string Purpose = "Flexprice.Dashboard.Session";

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().DashboardOptions();
        if (!options.Enabled)
        {
            return app;
        }

        var path = options.Path.TrimEnd('/');
        app.MapGet(path + "/login", (HttpContext http) => LoginPage(http, path, null, HttpStatusCode.OK)).ExcludeFromDescription();
        app.MapPost(path + "/login", (HttpContext http, IGrainFactory grains, AuthFailureThrottle throttle, IDataProtectionProvider protection) =>
            SignInAsync(http, grains, throttle, protection, options, path)).ExcludeFromDescription();
        app.MapPost(path + "/logout", (HttpContext http) =>
        {
            http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = path });
            return Results.Redirect(path + "/login", permanent: false);
        }).ExcludeFromDescription();
        app.MapOrleansDashboard(path).AddEndpointFilter(new SignedIn(path)).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> SignInAsync(
        HttpContext http, IGrainFactory grains, AuthFailureThrottle throttle, IDataProtectionProvider protection, FlexpriceDashboardOptions options, string path)
    {
        var client = AuthFailureThrottle.ClientOf(http);
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        var rawKey = form?["api_key"].ToString().Trim();
        if (string.IsNullOrEmpty(rawKey))
        {
            return LoginPage(http, path, "Enter an API key.", HttpStatusCode.BadRequest);
        }

        var keyHash = Ids.HashApiKey(rawKey);
        if (!IsOperator(await grains.GetGrain<IApiKeyGrain>(keyHash).Authenticate()))
        {
            var decision = await throttle.RecordFailureAsync(client);
            if (decision.Allowed)
            {
                return LoginPage(http, path, "That is not an admin API key of the default tenant.", HttpStatusCode.Unauthorized);
            }

            await throttle.HoldAsync(client, http.RequestAborted);
            return RateLimitHeaders.TooManyRequests(http, decision.RetryAfter);
        }

        var sealedHash = Protector(protection).Protect(keyHash, options.SessionLifetime);
        http.Response.Cookies.Append(CookieName, sealedHash, new CookieOptions
        {
            Path = path,
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            MaxAge = options.SessionLifetime,
        });
        return Results.Redirect(path + "/", permanent: false);
    }

    private static bool IsOperator(ApiKeyIdentity? identity) => identity is { IsAdmin: true, TenantId: TenantStore.DefaultTenantId };

    private static ITimeLimitedDataProtector Protector(IDataProtectionProvider protection) =>
        protection.CreateProtector(Purpose).ToTimeLimitedDataProtector();

    /// <summary>Lets a request through to the dashboard only with a live session of an operator key.</summary>
    private sealed class SignedIn(string path) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            if (http.Request.Cookies[CookieName] is { Length: > 0 } cookie)
            {
                string? keyHash = null;
                try
                {
                    keyHash = Protector(http.RequestServices.GetRequiredService<IDataProtectionProvider>()).Unprotect(cookie);
                }
                catch (CryptographicException)
                {
                    // Expired, tampered with, or sealed by a key ring this node does not share: sign in again.
                }

                if (keyHash is not null && IsOperator(await http.RequestServices.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(keyHash).Authenticate()))
                {
                    http.Response.Headers.CacheControl = "no-store";
                    return await next(context);
                }
            }

            // Pages go to the sign-in form; the dashboard's own data calls get a plain 401.
            var page = http.Request.Path.Value is { } p && (p.TrimEnd('/') == path || p.EndsWith("/index.html", StringComparison.Ordinal));
            return page ? Results.Redirect(path + "/login", permanent: false) : Results.Text("Sign in at " + path + "/login", statusCode: StatusCodes.Status401Unauthorized);
        }
    }

    private static IResult LoginPage(HttpContext http, string path, string? error, HttpStatusCode status)
    {
        http.Response.Headers.CacheControl = "no-store";
        var message = error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>";
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Flexprice · Orleans Dashboard sign-in</title>
              <style>
                body { font: 15px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2433; display: grid; place-items: center; min-height: 100vh; margin: 0; }
                form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 2px 12px #0001; width: min(26rem, 90vw); }
                h1 { font-size: 1.2rem; margin: 0 0 .5rem; }
                label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
                input { width: 100%; box-sizing: border-box; padding: .55rem; border: 1px solid #c5cad3; border-radius: 4px; font: inherit; }
                button { margin-top: 1rem; padding: .55rem 1.2rem; border: 0; border-radius: 4px; background: #3451b2; color: #fff; font: inherit; cursor: pointer; }
                .error { color: #b42318; }
                .hint { color: #5b6475; font-size: .9rem; }
              </style>
            </head>
            <body>
              <form method="post" action="{{path}}/login">
                <h1>Orleans Dashboard</h1>
                <p class="hint">For operators: an admin API key of the default tenant. The key is not stored in your browser; a session cookie is.</p>
                {{message}}
                <label for="api_key">API key</label>
                <input id="api_key" name="api_key" type="password" autocomplete="off" required autofocus>
                <button type="submit">Sign in</button>
              </form>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: (int)status);
    }
}
