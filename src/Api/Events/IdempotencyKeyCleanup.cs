using Flexprice.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Events;

/// <summary>Forgets Idempotency-Keys past their retention, every hour (on every API node; the delete is idempotent).</summary>
public sealed class IdempotencyKeyCleanup(IdempotencyKeys store, IOptions<IdempotencyOptions> options, TimeProvider time, ILogger<IdempotencyKeyCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var forgotten = await store.ForgetAsync(time.GetUtcNow() - options.Value.KeyRetention, stoppingToken);
                logger.LogInformation("Forgot {Count} idempotency keys older than {Retention}", forgotten, options.Value.KeyRetention);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Forgetting old idempotency keys failed; trying again in an hour");
            }
        }
    }
}
