using System.Net.Sockets;
using Flexprice.Grains;
using Flexprice.Grains.Storage;
using Npgsql;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Faults that pass: the database or a silo is briefly out of reach (a silo died, membership is
/// settling, a connection dropped, a call timed out). The answer is 503 with <c>Retry-After</c>,
/// and a retry with the same event ids is safe, whether or not the first attempt was committed.
/// Refused values (<see cref="IsRefusedInput"/>) and bugs are not transient.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception? fault)
    {
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            switch (fault)
            {
                case StorageUnavailableException:
                    return true;
                case StorageRefusedException:
                    return false;
                case NpgsqlException:
                    return StorageFaults.IsTransient(fault);
                // SiloUnavailableException, OrleansMessageRejectionException, ConnectionFailedException,
                // GatewayTooBusyException, ClientNotAvailableException, … all derive from OrleansException.
                case TimeoutException or OrleansException or SocketException or OperationCanceledException:
                    return true;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Any(IsTransient);
                default:
                    fault = fault.InnerException;
                    break;
            }
        }

        return false;
    }

    /// <summary>The database refused a value of the request (a gap in validation at the door): the client's 400, our error log.</summary>
    public static bool IsRefusedInput(Exception? fault, out string message)
    {
        message = "";
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            switch (fault)
            {
                case StorageRefusedException refused:
                    message = refused.Message;
                    return true;
                case NpgsqlException when StorageFaults.IsDataError(fault):
                    message = $"Invalid request: {StorageFaults.Describe(fault)}";
                    return true;
                default:
                    fault = fault.InnerException;
                    break;
            }
        }

        return false;
    }
}
