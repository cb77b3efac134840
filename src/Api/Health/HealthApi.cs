using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Health;

/// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (database reachable, cluster answering).</summary>
public static class HealthApi
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(5);

    public sealed record HealthResponse(string Status, string? Error = null);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new HealthResponse("live"))).WithName("Live");
        health.MapGet("/ready", Ready)
            .WithName("Ready")
            .Produces<HealthResponse>()
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> Ready(FlexpriceDatabase database, IGrainFactory grains, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        try
        {
            await database.PingAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            return TypedResults.Json(new HealthResponse("unavailable", $"database: {ex.Message}"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            await grains.GetGrain<IHealthGrain>(0).Ping().WaitAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            return TypedResults.Json(new HealthResponse("unavailable", $"cluster: {ex.Message}"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Ok(new HealthResponse("ready"));
    }
}
