namespace Flexprice.Grains.Aggregation;

/// <summary>
/// Windows aligned to the calendar of a time zone. A window starts at every instant whose local
/// wall-clock time is aligned (HOUR: on the hour; 15MIN: :00/:15/:30/:45; 3HOUR/6HOUR/12HOUR: hours
/// counted from midnight; DAY: midnight; WEEK: Monday midnight; MONTH: the 1st at midnight, or the
/// billing anchor's day and time of day, clamped to the month's last day), and at the end of a DST
/// gap that swallowed an aligned time. So on DST days a DAY lasts 23 or 25 hours and there are 23
/// or 25 HOUR windows; every instant belongs to exactly one window.
/// </summary>
public sealed class WindowCalendar
{
    private readonly WindowSize _size;
    private readonly TimeZoneInfo _zone;
    private readonly DateTime? _anchorLocal;

    /// <param name="billingAnchorUtc">MONTH only: months run from the anchor's local day and time of day; null: calendar months.</param>
    public WindowCalendar(WindowSize size, TimeZoneInfo zone, DateTime? billingAnchorUtc = null)
    {
        _size = size;
        _zone = zone;
        _anchorLocal = billingAnchorUtc is { } anchor && size == WindowSize.Month ? TimeZoneInfo.ConvertTimeFromUtc(anchor, zone) : null;
    }

    public WindowSize Size => _size;

    /// <summary>The start of the window holding <paramref name="utc"/>: the greatest window boundary at or before it.</summary>
    public DateTime Floor(DateTime utc)
    {
        while (true)
        {
            var offset = Offset(utc);
            var candidate = AlignDown(utc + offset) - offset;
            if (Offset(candidate) == offset)
            {
                return Utc(candidate);
            }

            // An offset change lies in (candidate, utc]: the boundary is the change itself, or before it.
            var change = FirstChange(candidate, utc);
            if (IsBoundaryAtChange(change))
            {
                return Utc(change);
            }

            utc = change.AddTicks(-1);
        }
    }

    /// <summary>The first window boundary after <paramref name="utc"/> (the end of its window).</summary>
    public DateTime Next(DateTime utc)
    {
        while (true)
        {
            var offset = Offset(utc);
            var local = utc + offset;
            var candidate = NextLabel(AlignDown(local)) - offset;
            if (Offset(candidate) == offset)
            {
                return Utc(candidate);
            }

            var change = FirstChange(utc, candidate);
            if (IsBoundaryAtChange(change))
            {
                return Utc(change);
            }

            // Not a boundary: the next one is the first after the change.
            utc = change;
        }
    }

    /// <summary>The windows that meet [<paramref name="start"/>, <paramref name="end"/>), as aligned (start, end) pairs.</summary>
    public IEnumerable<(DateTime Start, DateTime End)> Windows(DateTime start, DateTime end)
    {
        for (var s = Floor(start); s < end;)
        {
            var e = Next(s);
            yield return (s, e);
            s = e;
        }
    }

    /// <summary>The aligned wall-clock time at or before <paramref name="local"/>.</summary>
    public DateTime AlignDown(DateTime local)
    {
        var day = local.Date;
        return _size switch
        {
            WindowSize.Minute => new DateTime(local.Ticks - (local.Ticks % TimeSpan.TicksPerMinute)),
            WindowSize.FifteenMinutes => day.AddHours(local.Hour).AddMinutes(local.Minute - (local.Minute % 15)),
            WindowSize.ThirtyMinutes => day.AddHours(local.Hour).AddMinutes(local.Minute - (local.Minute % 30)),
            WindowSize.Hour => day.AddHours(local.Hour),
            WindowSize.ThreeHours => day.AddHours(local.Hour - (local.Hour % 3)),
            WindowSize.SixHours => day.AddHours(local.Hour - (local.Hour % 6)),
            WindowSize.TwelveHours => day.AddHours(local.Hour - (local.Hour % 12)),
            WindowSize.Day => day,
            WindowSize.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            WindowSize.Month when _anchorLocal is null => new DateTime(local.Year, local.Month, 1),
            WindowSize.Month => AnchoredMonthStart(local),
            _ => throw new ArgumentOutOfRangeException(nameof(local)),
        };
    }

    /// <summary>The aligned wall-clock time after the aligned <paramref name="label"/>.</summary>
    private DateTime NextLabel(DateTime label) => _size switch
    {
        WindowSize.Minute => label.AddMinutes(1),
        WindowSize.FifteenMinutes => label.AddMinutes(15),
        WindowSize.ThirtyMinutes => label.AddMinutes(30),
        WindowSize.Hour => label.AddHours(1),
        WindowSize.ThreeHours => label.AddHours(3),
        WindowSize.SixHours => label.AddHours(6),
        WindowSize.TwelveHours => label.AddHours(12),
        WindowSize.Day => label.AddDays(1),
        WindowSize.Week => label.AddDays(7),
        WindowSize.Month when _anchorLocal is null => label.AddMonths(1),
        // Clamped starts (the 31st in a short month) must not drift: recompute from the anchor.
        WindowSize.Month => AnchorIn(label.Year, label.Month, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };

    private DateTime AnchoredMonthStart(DateTime local)
    {
        var start = AnchorIn(local.Year, local.Month, 0);
        return start <= local ? start : AnchorIn(local.Year, local.Month, -1);
    }

    private DateTime AnchorIn(int year, int month, int addMonths)
    {
        var first = new DateTime(year, month, 1).AddMonths(addMonths);
        var anchor = _anchorLocal!.Value;
        var day = Math.Min(anchor.Day, DateTime.DaysInMonth(first.Year, first.Month));
        return first.AddDays(day - 1) + anchor.TimeOfDay;
    }

    /// <summary>Whether the offset change at <paramref name="change"/> starts a window: its new wall-clock time is aligned, or the skipped wall-clock times held an aligned one.</summary>
    private bool IsBoundaryAtChange(DateTime change)
    {
        var before = Offset(change.AddTicks(-1));
        var after = Offset(change);
        var aligned = AlignDown(change + after);
        return aligned >= change + (before < after ? before : after);
    }

    /// <summary>The first instant in (<paramref name="from"/>, <paramref name="to"/>] whose offset differs from that of <paramref name="from"/>.</summary>
    private DateTime FirstChange(DateTime from, DateTime to)
    {
        var offset = Offset(from);
        long low = from.Ticks, high = to.Ticks;
        // Invariant: Offset(low) == offset, Offset(high) != offset.
        while (high - low > 1)
        {
            var mid = low + ((high - low) / 2);
            if (Offset(new DateTime(mid)) == offset)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return new DateTime(high);
    }

    private TimeSpan Offset(DateTime utc) => _zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
