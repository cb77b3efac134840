using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Flexprice.Grains;

/// <summary>
/// Database faults leave a grain as one of two exceptions the caller can tell apart wherever it runs:
/// <see cref="StorageUnavailableException"/> for a passing fault (503) and <see cref="StorageRefusedException"/>
/// for refused values (400). Npgsql's own exceptions cannot reach a caller in another process at all (Orleans has no
/// codec for them: the caller gets a <c>CodecNotFoundException</c>, which the API could only answer 500). Every grain
/// method that reaches the database translates in a catch of its own,
/// <c>catch (Exception ex) when (StorageFaultTranslation.Translate(ex, …) is { } translated) { throw translated; }</c>:
/// <c>CustomerGrain</c>'s calls, <c>ApiKeyGrain</c>'s key lookup and <c>TenantCatalogGrain.CreateFeature</c>; a new
/// method that reaches the database needs the same. Not an incoming grain-call filter: any filter puts every grain call
/// of the silo on Orleans' invoker path (an invoker and two more async state machines per call), measured at 1.1 KB of
/// the 12.7 KB a single event's request allocated. (Tracing, on with <c>Telemetry:Tracing</c> or an OTLP endpoint, and
/// the dashboard register filters of their own, so with either on every call takes that path anyway.)
/// </summary>
public static class StorageFaultTranslation
{
    /// <summary>The exception to throw instead of <paramref name="fault"/>, or null to let it go as it is.</summary>
    public static Exception? Translate(Exception fault, ILogger logger, GrainId grain, string method)
    {
        if (fault is StorageUnavailableException or StorageRefusedException)
        {
            return null;
        }

        if (StorageFaults.IsTransient(fault))
        {
            return new StorageUnavailableException($"The database is unavailable: {fault.Message}");
        }

        if (StorageFaults.IsDataError(fault))
        {
            logger.LogError(fault, "PostgreSQL refused a value in {Grain}.{Method}: a gap in validation at the door", grain, method);
            return new StorageRefusedException($"Invalid request: {StorageFaults.Describe(fault)}");
        }

        return null;
    }
}
