using System.Text;
using Npgsql;

namespace Flexprice.Grains.Storage;

/// <summary>
/// What a database fault means for the request that met it. Transient: the database or the way to it
/// failed for a moment (connection lost, timeout, failover, serialization failure, deadlock): retry, 503.
/// Data error: PostgreSQL refused the values themselves (a NUL byte in text, a value too large to index,
/// a constraint): the request is at fault, and retrying it would fail again, 400. Anything else is a bug.
/// </summary>
public static class StorageFaults
{
    public static bool IsTransient(Exception? fault)
    {
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            switch (fault)
            {
                case PostgresException postgres:
                    return postgres.IsTransient || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections;
                case NpgsqlException npgsql:
                    // Not from the server: the connection itself (I/O, timeout, pool exhausted).
                    return npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException || npgsql.InnerException is null;
                case TimeoutException or IOException or System.Net.Sockets.SocketException:
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

    /// <summary>
    /// PostgreSQL refused the data (SQLSTATE classes 22 data exception, 23 integrity constraint, 54 program
    /// limit exceeded such as an index row too large), or the driver could not encode a value.
    /// </summary>
    public static bool IsDataError(Exception? fault)
    {
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            switch (fault)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("22", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("23", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("54", StringComparison.Ordinal);
                case EncoderFallbackException or DecoderFallbackException:
                    return true;
                default:
                    fault = fault.InnerException;
                    break;
            }
        }

        return false;
    }

    /// <summary>Words for the client about a data error, without echoing stored values.</summary>
    public static string Describe(Exception fault)
    {
        for (var depth = 0; fault is not null && depth < 8; depth++)
        {
            if (fault is PostgresException postgres)
            {
                return postgres.SqlState switch
                {
                    PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter =>
                        "a text value holds a character that cannot be stored (U+0000)",
                    PostgresErrorCodes.ProgramLimitExceeded => "a value is too large to be stored",
                    PostgresErrorCodes.StringDataRightTruncation => "a text value is too long",
                    PostgresErrorCodes.NumericValueOutOfRange => "a number is out of range",
                    _ => $"the database refused a value (SQLSTATE {postgres.SqlState})",
                };
            }

            if (fault is EncoderFallbackException or DecoderFallbackException)
            {
                return "a text value is not valid Unicode";
            }

            fault = fault.InnerException!;
        }

        return "the database refused a value";
    }
}
