namespace Flexprice.Importer.Running;

/// <summary>
/// A record that will not be counted, and why: refused by the server (<see cref="Status"/> 400 or
/// 409), or before sending (<see cref="Status"/> null: unreadable JSON, not an object, too long).
/// </summary>
/// <param name="Event">The event's JSON as sent (with its event_id), when it was one.</param>
/// <param name="Raw">The record's text, when it was not JSON.</param>
public sealed record Rejection(long Line, string Reason, int? Status, byte[]? Event, string? Raw);
