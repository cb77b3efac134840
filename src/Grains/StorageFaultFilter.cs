using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Flexprice.Grains;

/// <summary>
/// Database faults leave a grain as one of two exceptions the caller can tell apart wherever it runs
/// (Npgsql's own exceptions do not travel between processes): <see cref="StorageUnavailableException"/>
/// for a passing fault (503) and <see cref="StorageRefusedException"/> for refused values (400).
/// </summary>
public sealed class StorageFaultFilter(ILogger<StorageFaultFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (ex is not (StorageUnavailableException or StorageRefusedException) && StorageFaults.IsTransient(ex))
        {
            throw new StorageUnavailableException($"The database is unavailable: {ex.Message}");
        }
        catch (Exception ex) when (ex is not (StorageUnavailableException or StorageRefusedException) && StorageFaults.IsDataError(ex))
        {
            logger.LogError(ex, "PostgreSQL refused a value in {Grain}.{Method}: a gap in validation at the door", context.TargetId, context.MethodName);
            throw new StorageRefusedException($"Invalid request: {StorageFaults.Describe(ex)}");
        }
    }
}
