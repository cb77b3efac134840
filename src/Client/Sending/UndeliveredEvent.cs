namespace Flexprice.Client.Sending;

/// <summary>An event the background sender gave up on, with the JSON it would have sent and why.</summary>
public sealed record UndeliveredEvent(string EventId, string EventJson, UndeliveredReason Reason, string Error);
