namespace Flexprice.Grains.Abstractions;

/// <summary>
/// The database could not be reached or answered with a passing fault (connection lost, timeout,
/// failover, serialization failure) while a grain served the call: nothing was acknowledged, and the
/// same request may be retried as it is (HTTP 503 with Retry-After).
/// </summary>
[GenerateSerializer, Alias("Flexprice.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// PostgreSQL refused a value a grain tried to store or look up (a NUL byte in text, a value too large
/// to index): the request is at fault, and validation at the door has a gap to close. HTTP 400.
/// </summary>
[GenerateSerializer, Alias("Flexprice.StorageRefusedException")]
public sealed class StorageRefusedException : Exception
{
    public StorageRefusedException()
    {
    }

    public StorageRefusedException(string message)
        : base(message)
    {
    }

    public StorageRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
