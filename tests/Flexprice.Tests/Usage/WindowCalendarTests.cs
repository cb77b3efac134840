using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Tests.Usage;

public sealed class WindowCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    private static DateTime Utc(int y, int mo, int d, int h = 0, int mi = 0) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    [Fact]
    public void Hour_windows_in_utc_start_on_the_hour()
    {
        var calendar = new WindowCalendar(WindowSize.Hour, TimeZoneInfo.Utc);

        Assert.Equal(Utc(2025, 3, 1, 7), calendar.Floor(Utc(2025, 3, 1, 7, 59)));
        Assert.Equal(Utc(2025, 3, 1, 8), calendar.Next(Utc(2025, 3, 1, 7)));
    }

    [Fact]
    public void Fifteen_minutes_align_to_the_quarter_hour_of_a_half_hour_zone()
    {
        var calendar = new WindowCalendar(WindowSize.FifteenMinutes, Kolkata);

        // 10:07 UTC is 15:37 in Kolkata: the window starts at 15:30 local, 10:00 UTC.
        Assert.Equal(Utc(2025, 3, 1, 10, 0), calendar.Floor(Utc(2025, 3, 1, 10, 7)));
        // HOUR windows there start at :30 UTC.
        Assert.Equal(Utc(2025, 3, 1, 9, 30), new WindowCalendar(WindowSize.Hour, Kolkata).Floor(Utc(2025, 3, 1, 10, 7)));
    }

    [Fact]
    public void A_spring_forward_day_lasts_23_hours_and_has_23_hour_windows()
    {
        var day = new WindowCalendar(WindowSize.Day, Berlin);
        var start = day.Floor(Utc(2025, 3, 30, 12));

        Assert.Equal(Utc(2025, 3, 29, 23), start);
        Assert.Equal(TimeSpan.FromHours(23), day.Next(start) - start);
        Assert.Equal(23, new WindowCalendar(WindowSize.Hour, Berlin).Windows(start, day.Next(start)).Count());
    }

    [Fact]
    public void A_fall_back_day_lasts_25_hours_and_has_25_hour_windows()
    {
        var day = new WindowCalendar(WindowSize.Day, NewYork);
        var start = day.Floor(Utc(2025, 11, 2, 12));

        Assert.Equal(Utc(2025, 11, 2, 4), start);
        Assert.Equal(TimeSpan.FromHours(25), day.Next(start) - start);
        Assert.Equal(25, new WindowCalendar(WindowSize.Hour, NewYork).Windows(start, day.Next(start)).Count());
    }

    [Fact]
    public void Three_hour_windows_count_from_local_midnight_across_dst()
    {
        var calendar = new WindowCalendar(WindowSize.ThreeHours, Berlin);
        var windows = calendar.Windows(Utc(2025, 3, 29, 23), Utc(2025, 3, 30, 22)).ToList();

        // 00:00-03:00 local is two hours long on the spring-forward day.
        Assert.Equal((Utc(2025, 3, 29, 23), Utc(2025, 3, 30, 1)), windows[0]);
        Assert.Equal((Utc(2025, 3, 30, 1), Utc(2025, 3, 30, 4)), windows[1]);
    }

    [Fact]
    public void Weeks_start_on_monday_midnight_local()
    {
        var calendar = new WindowCalendar(WindowSize.Week, Berlin);

        // Sunday 2025-08-24 in Berlin: the week began Monday 2025-08-18 00:00 CEST.
        Assert.Equal(Utc(2025, 8, 17, 22), calendar.Floor(Utc(2025, 8, 24, 12)));
        Assert.Equal(Utc(2025, 8, 24, 22), calendar.Next(Utc(2025, 8, 17, 22)));
    }

    [Fact]
    public void Months_are_calendar_months_in_the_zone()
    {
        var calendar = new WindowCalendar(WindowSize.Month, NewYork);

        Assert.Equal(Utc(2025, 2, 1, 5), calendar.Floor(Utc(2025, 2, 15)));
        Assert.Equal(Utc(2025, 3, 1, 5), calendar.Next(Utc(2025, 2, 1, 5)));
        // March starts in EST and ends in EDT.
        Assert.Equal(Utc(2025, 4, 1, 4), calendar.Next(Utc(2025, 3, 1, 5)));
    }

    [Fact]
    public void Anchored_months_run_anchor_day_to_anchor_day_clamped_to_short_months()
    {
        var calendar = new WindowCalendar(WindowSize.Month, TimeZoneInfo.Utc, Utc(2024, 1, 31, 10));

        Assert.Equal(Utc(2025, 1, 31, 10), calendar.Floor(Utc(2025, 2, 10)));
        Assert.Equal(Utc(2025, 2, 28, 10), calendar.Next(Utc(2025, 1, 31, 10)));
        Assert.Equal(Utc(2025, 3, 31, 10), calendar.Next(Utc(2025, 2, 28, 10)));
        Assert.Equal(Utc(2025, 2, 28, 10), calendar.Floor(Utc(2025, 3, 31, 9)));
    }

    [Theory]
    [InlineData("MINUTE", "Europe/Berlin")]
    [InlineData("15MIN", "Asia/Kolkata")]
    [InlineData("30MIN", "Australia/Lord_Howe")]
    [InlineData("HOUR", "America/New_York")]
    [InlineData("HOUR", "Australia/Lord_Howe")]
    [InlineData("3HOUR", "Europe/Berlin")]
    [InlineData("6HOUR", "America/New_York")]
    [InlineData("12HOUR", "America/Santiago")]
    [InlineData("DAY", "America/Santiago")]
    [InlineData("DAY", "America/New_York")]
    [InlineData("WEEK", "Europe/Berlin")]
    [InlineData("MONTH", "America/New_York")]
    [InlineData("DAY", "UTC")]
    public void Agrees_with_a_minute_by_minute_scan(string size, string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        WindowSizeNames.TryParse(size, out var windowSize);
        var calendar = new WindowCalendar(windowSize, zone);
        // A span holding both of the year's DST changes in the northern and southern hemispheres.
        var from = Utc(2024, 12, 1);
        var to = Utc(2025, 12, 1);
        var brute = new BruteCalendar(size, zone, from.AddDays(-40), to.AddDays(40));
        var random = new Random(size.GetHashCode() ^ zoneId.GetHashCode());
        var probes = Enumerable.Range(0, 3000).Select(_ => from.AddTicks((long)(random.NextDouble() * (to - from).Ticks)))
            .Concat(TransitionNeighbourhoods(zone, from, to));
        foreach (var t in probes)
        {
            var expected = brute.Floor(t);
            Assert.True(expected == calendar.Floor(t), $"{size} {zoneId}: floor of {t:O} is {expected:O}, got {calendar.Floor(t):O}");
            Assert.True(brute.Next(expected) == calendar.Next(expected), $"{size} {zoneId}: next of {expected:O} is {brute.Next(expected):O}, got {calendar.Next(expected):O}");
        }
    }

    /// <summary>Every minute within two hours of each offset change.</summary>
    private static IEnumerable<DateTime> TransitionNeighbourhoods(TimeZoneInfo zone, DateTime from, DateTime to)
    {
        for (var t = from; t < to; t = t.AddHours(1))
        {
            if (zone.GetUtcOffset(t) != zone.GetUtcOffset(t.AddHours(1)))
            {
                for (var m = -120; m <= 180; m++)
                {
                    yield return t.AddMinutes(m).AddSeconds(m % 7);
                }
            }
        }
    }
}
