using System.Net.Sockets;
using Npgsql;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Faults that pass: the database or a silo is briefly out of reach (a silo died, membership is
/// settling, a connection dropped, a call timed out). The answer is 503 with <c>Retry-After</c>,
/// and a retry with the same event ids is safe, whether or not the first attempt was committed.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception? fault)
    {
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            switch (fault)
            {
                // SiloUnavailableException, OrleansMessageRejectionException, ConnectionFailedException,
                // GatewayTooBusyException, ClientNotAvailableException, … all derive from OrleansException.
                case NpgsqlException or TimeoutException or OrleansException or SocketException or OperationCanceledException:
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
}
