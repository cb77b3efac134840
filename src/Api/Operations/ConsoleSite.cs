using Microsoft.Extensions.FileProviders;

namespace Flexprice.Api.Operations;

/// <summary>
/// The console at <c>/console</c>: static files from the repository (<c>src/Api/console</c>, copied beside the
/// binaries), calling the public API with the signed-in key. Its Content-Security-Policy allows nothing but this
/// origin, so the page can fetch nothing from anywhere else.
/// </summary>
public static class ConsoleSite
{
    public const string Path = "/console";
    private const string Policy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static WebApplication MapConsole(this WebApplication app)
    {
        var files = new PhysicalFileProvider(System.IO.Path.Combine(AppContext.BaseDirectory, "console"));
        // Routing matches /console and /console/ alike; the page's relative links need the slash.
        app.MapGet(Path, (HttpContext http) =>
        {
            if (http.Request.Path.Value?.EndsWith('/') != true)
            {
                return Results.Redirect(Path + "/", permanent: false);
            }

            Secure(http.Response);
            return Results.File(files.GetFileInfo("index.html").CreateReadStream(), "text/html; charset=utf-8");
        }).ExcludeFromDescription();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            OnPrepareResponse = context => Secure(context.Context.Response),
        });
        return app;
    }

    private static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = Policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-cache";
    }
}
