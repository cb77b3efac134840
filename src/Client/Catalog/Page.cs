namespace Flexprice.Client.Catalog;

/// <summary>One page of a list: its items and where it lies in the whole (<see cref="Total"/> items).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long Total, int Limit, int Offset);
