using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>The window sizes of Flexprice's usage queries (and of bucketed meters).</summary>
[GenerateSerializer]
public enum WindowSize
{
    Minute = 0,
    FifteenMinutes = 1,
    ThirtyMinutes = 2,
    Hour = 3,
    ThreeHours = 4,
    SixHours = 5,
    TwelveHours = 6,
    Day = 7,
    Week = 8,
    Month = 9,
}

public static class WindowSizeNames
{
    public static IReadOnlyList<string> WireNames { get; } = ["MINUTE", "15MIN", "30MIN", "HOUR", "3HOUR", "6HOUR", "12HOUR", "DAY", "WEEK", "MONTH"];

    public static string ToWireName(this WindowSize size) => WireNames[(int)size];

    public static bool TryParse(string? wireName, out WindowSize size)
    {
        var index = WireNames.ToList().IndexOf(wireName?.Trim().ToUpperInvariant() ?? "");
        size = index < 0 ? default : (WindowSize)index;
        return index >= 0;
    }
}

/// <summary>
/// Usage by <see cref="Meter"/> of the events with a timestamp in [<see cref="Start"/>, <see cref="End"/>) (UTC), in
/// windows of <see cref="Window"/> aligned to the calendar of the IANA zone <see cref="TimeZoneId"/> (MONTH from the
/// <see cref="BillingAnchor"/>'s day when given).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageQuery")]
public sealed record UsageQuery(
    [property: Id(0)] Meter Meter,
    [property: Id(1)] DateTime Start,
    [property: Id(2)] DateTime End,
    [property: Id(3)] string TimeZoneId,
    [property: Id(4)] WindowSize? Window,
    [property: Id(5)] DateTime? BillingAnchor);

/// <summary>One window: its aligned start and end, and the aggregate of the query's events inside it (the first and last may be cut by the range).</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageWindow")]
public sealed record UsageWindow(
    [property: Id(0)] DateTime Start,
    [property: Id(1)] DateTime End,
    [property: Id(2)] UsageValue Value,
    [property: Id(3)] long EventCount);

/// <summary>The aggregate over the whole range (not a sum of windows), the events that fed it, and the windows that hold events, in time order.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageAnswer")]
public sealed record UsageAnswer(
    [property: Id(0)] UsageValue Value,
    [property: Id(1)] long EventCount,
    [property: Id(2)] ImmutableArray<UsageWindow> Windows);

/// <summary>A customer grain's answer: <see cref="Answer"/> is null when the range reaches before what the grain holds in memory (ask the event log).</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageQueryResult")]
public sealed record UsageQueryResult(
    [property: Id(0)] bool CustomerFound,
    [property: Id(1)] UsageAnswer? Answer);
