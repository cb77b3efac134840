namespace Flexprice.Client.Events;

/// <summary>Why the event at <see cref="Index"/> (0-based, in request order) of a refused bulk was refused.</summary>
public sealed record IndexedError(int Index, string Error);
