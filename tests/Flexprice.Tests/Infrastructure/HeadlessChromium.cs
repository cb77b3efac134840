using Flexprice.Tests.Durability;
using Microsoft.Playwright;

namespace Flexprice.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>; scripts/test installs it when missing and run as root),
/// headless, driven by Playwright: Playwright's own browser download cannot work on this machine. Playwright
/// gives every launch a new, empty profile directory.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>Flags that work here: no sandbox (root), no GPU, and nothing that reaches for the network on its own.</summary>
    public static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser) => (_playwright, Browser) = (playwright, browser);

    public IBrowser Browser { get; }

    /// <summary>Where screenshots are kept: <c>.data/test-artifacts</c> in the repository (git-ignored), the same path every run.</summary>
    public static string ArtifactsDirectory =>
        Directory.CreateDirectory(Path.Combine(ApiBinary.RepoRoot() ?? AppContext.BaseDirectory, ".data", "test-artifacts")).FullName;

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"{ExecutablePath} is missing. scripts/test installs it when run as root; otherwise: sudo apt-get install -y chromium");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = Flags });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
