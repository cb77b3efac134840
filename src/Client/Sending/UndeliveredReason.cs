namespace Flexprice.Client.Sending;

/// <summary>Why an event tracked by the background sender will not be counted.</summary>
public enum UndeliveredReason
{
    /// <summary>The buffer was full (<see cref="BufferFullMode.Drop"/>); never sent.</summary>
    Dropped,

    /// <summary>The server refused the event (unknown customer or event name, bad property, same id with another payload).</summary>
    Refused,

    /// <summary>Not acknowledged: the key or the URL was refused, or the shutdown timeout ran out while the server was unreachable.</summary>
    Failed,
}
