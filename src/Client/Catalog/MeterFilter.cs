namespace Flexprice.Client.Catalog;

/// <summary>An event passes when its property <see cref="Key"/> equals one of <see cref="Values"/> (numbers compare by value).</summary>
public sealed record MeterFilter(string Key, IReadOnlyList<string> Values);
