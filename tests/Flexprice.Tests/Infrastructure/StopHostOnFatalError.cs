using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Flexprice.Tests.Infrastructure;

/// <summary>
/// What a silo hosted in the test process does with a fatal error: it logs it and stops its own host,
/// instead of Orleans' <c>Environment.FailFast</c>, which would end the test process and every other
/// test's run with it. Orleans' TestingHost does the same for the silos it hosts; this is for the ones the
/// tests host themselves (<see cref="ApiFactory"/>, the TLS nodes). A silo that finds itself declared dead
/// in the membership table is the usual case: its host stops, so the tests using it fail on their own.
/// </summary>
public sealed class StopHostOnFatalError(ILogger<StopHostOnFatalError> logger, IHostApplicationLifetime lifetime) : IFatalErrorHandler
{
    public bool IsUnexpected(Exception exception) => exception is not ThreadAbortException;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        logger.LogCritical(exception, "Fatal error from {Sender} in a silo hosted by a test: {Context}. Its host stops; the test process goes on.", sender, context);
        // The test's own output may be gone (a host its test already left); CI's log keeps this.
        Console.Error.WriteLine($"[test silo] fatal error from {sender}: {context} {exception}; stopping its host");
        try
        {
            lifetime.StopApplication();
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed already (its silo outlived it, still starting): nothing left to stop.
        }
    }
}

public static class StopHostOnFatalErrorRegistration
{
    /// <summary>Replaces Orleans' fatal error handler of a silo hosted in the test process (see <see cref="StopHostOnFatalError"/>).</summary>
    public static IServiceCollection StopHostOnFatalError(this IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IFatalErrorHandler, StopHostOnFatalError>());
}
