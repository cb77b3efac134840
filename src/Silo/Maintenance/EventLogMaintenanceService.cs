using Flexprice.Grains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flexprice.Silo.Maintenance;

/// <summary>
/// Runs <see cref="EventLogMaintenance"/> on every silo, once at start and then every <c>Retention:MaintenanceInterval</c>
/// (an hour): partitions made ahead, and retention. Every silo does it; the work is idempotent.
/// </summary>
internal sealed class EventLogMaintenanceService(
    EventLogMaintenance maintenance, IOptions<EventLogRetentionOptions> options, TimeProvider time, ILogger<EventLogMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        do
        {
            try
            {
                await maintenance.RunAsync(time.GetUtcNow().UtcDateTime, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Event log maintenance failed; trying again in {Interval}", options.Value.MaintenanceInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
