using Flexprice.Grains.State;

namespace Flexprice.Tests.Usage;

public sealed class HotEventsTests
{
    private static readonly DateTime T0 = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly System.Text.Json.JsonElement Empty = System.Text.Json.JsonDocument.Parse("{}").RootElement;

    [Fact]
    public void Holds_events_from_its_start_in_time_order_late_ones_included_once()
    {
        var hot = new HotEvents(T0, 100);
        hot.Add(1, "e", T0.AddMinutes(5), Empty);
        hot.Add(2, "e", T0.AddMinutes(1), Empty);
        hot.Add(3, "e", T0.AddMinutes(-1), Empty);
        hot.Add(2, "e", T0.AddMinutes(1), Empty);
        hot.Add(4, "other", T0.AddMinutes(2), Empty);

        Assert.Equal([2L, 1L], hot.Range("e", T0, T0.AddHours(1)).Select(e => e.Seq));
        Assert.Equal(3, hot.Count);
    }

    [Fact]
    public void Advancing_forgets_older_events()
    {
        var hot = new HotEvents(T0, 100);
        for (var i = 0; i < 10; i++)
        {
            hot.Add(i + 1, "e", T0.AddMinutes(i), Empty);
        }

        hot.Advance(T0.AddMinutes(4));

        Assert.Equal(T0.AddMinutes(4), hot.From);
        Assert.Equal(6, hot.Count);
        Assert.Equal(5L, hot.Range("e", T0, T0.AddHours(1)).First().Seq);
    }

    [Fact]
    public void Past_its_capacity_it_keeps_the_newest_and_moves_its_start()
    {
        var hot = new HotEvents(T0, 100);
        for (var i = 0; i < 101; i++)
        {
            hot.Add(i + 1, "e", T0.AddMinutes(i), Empty);
        }

        Assert.InRange(hot.Count, 70, 100);
        Assert.True(hot.From > T0);
        Assert.All(hot.Range("e", T0, T0.AddDays(1)), e => Assert.True(e.Timestamp >= hot.From));
        Assert.Equal(101L, hot.Range("e", T0, T0.AddDays(1)).Last().Seq);
    }
}
