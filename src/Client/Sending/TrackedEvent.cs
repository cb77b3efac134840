namespace Flexprice.Client.Sending;

/// <param name="EventId">The event's id (the caller's, or the ULID the client made).</param>
/// <param name="Queued">False when the buffer was full and the event was dropped (<see cref="BufferFullMode.Drop"/>).</param>
public readonly record struct TrackedEvent(string EventId, bool Queued);
