namespace Flexprice.Tests.Usage;

/// <summary>
/// The window rule written the slow, obvious way, to check the real calendar against: scanning minute by
/// minute, an instant starts a window when its local wall-clock time is aligned, or when it ends a DST
/// gap whose skipped wall-clock times held an aligned one. Calendar months only (no anchor).
/// </summary>
internal sealed class BruteCalendar(string size, TimeZoneInfo zone, DateTime from, DateTime to)
{
    private readonly List<DateTime> _boundaries = Scan(size, zone, new DateTime(from.Ticks - (from.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc), to);

    /// <summary>The window start for an instant inside the scanned span.</summary>
    public DateTime Floor(DateTime utc)
    {
        var index = _boundaries.BinarySearch(utc);
        return index >= 0 ? _boundaries[index] : _boundaries[~index - 1];
    }

    public DateTime Next(DateTime boundary) => _boundaries[_boundaries.BinarySearch(boundary) + 1];

    private static List<DateTime> Scan(string size, TimeZoneInfo zone, DateTime from, DateTime to)
    {
        var boundaries = new List<DateTime>();
        var previous = Offset(zone, from.AddMinutes(-1));
        for (var u = from; u <= to; u = u.AddMinutes(1))
        {
            var offset = Offset(zone, u);
            var local = u + offset;
            var boundary = IsAligned(size, local);
            if (!boundary && offset > previous)
            {
                for (var skipped = u + previous; skipped < local && !boundary; skipped = skipped.AddMinutes(1))
                {
                    boundary = IsAligned(size, skipped);
                }
            }

            if (boundary)
            {
                boundaries.Add(DateTime.SpecifyKind(u, DateTimeKind.Utc));
            }

            previous = offset;
        }

        return boundaries;
    }

    private static TimeSpan Offset(TimeZoneInfo zone, DateTime utc) => zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    private static bool IsAligned(string size, DateTime local)
    {
        bool Midnight() => local.Hour == 0 && local.Minute == 0;
        return size switch
        {
            "MINUTE" => true,
            "15MIN" => local.Minute % 15 == 0,
            "30MIN" => local.Minute % 30 == 0,
            "HOUR" => local.Minute == 0,
            "3HOUR" => local.Minute == 0 && local.Hour % 3 == 0,
            "6HOUR" => local.Minute == 0 && local.Hour % 6 == 0,
            "12HOUR" => local.Minute == 0 && local.Hour % 12 == 0,
            "DAY" => Midnight(),
            "WEEK" => Midnight() && local.DayOfWeek == DayOfWeek.Monday,
            "MONTH" => Midnight() && local.Day == 1,
            _ => throw new ArgumentOutOfRangeException(nameof(size)),
        };
    }
}
