namespace Flexprice.Client;

/// <summary>What the background sender does with a new event when its buffer is full.</summary>
public enum BufferFullMode
{
    /// <summary>Back-pressure: <c>Track</c> blocks (and <c>TrackAsync</c> waits) until there is room.</summary>
    Wait,

    /// <summary>The new event is dropped: <c>Track</c> says so, the <c>Dropped</c> counter grows and a warning is logged.</summary>
    Drop,
}
