using System.Collections.Immutable;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Tests.Usage;

public sealed class UsageCalculatorTests
{
    private static readonly DateTime T0 = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly UsageRange Day = new(T0, T0.AddDays(1), TimeZoneInfo.Utc);

    public static TheoryData<AggregationType> AllAggregations => [.. Enum.GetValues<AggregationType>()];

    [Theory]
    [MemberData(nameof(AllAggregations))]
    public void An_empty_range_is_zero(AggregationType type)
    {
        var answer = UsageCalculator.Compute(new Meter("e", type, "v"), Day with { Window = WindowSize.Hour }, [Event(-1, 5m), Event(24 * 60, 5m)]);

        Assert.Equal(UsageValue.Of(0m), answer.Value);
        Assert.Equal(0, answer.EventCount);
        Assert.Empty(answer.Windows);
    }

    [Theory]
    [InlineData(AggregationType.Count, 1)]
    [InlineData(AggregationType.Sum, -2.5)]
    [InlineData(AggregationType.Avg, -2.5)]
    [InlineData(AggregationType.Min, -2.5)]
    [InlineData(AggregationType.Max, -2.5)]
    [InlineData(AggregationType.Latest, -2.5)]
    [InlineData(AggregationType.CountUnique, 1)]
    [InlineData(AggregationType.SumWithMultiplier, -7.5)]
    public void One_event_gives_its_value(AggregationType type, double expected)
    {
        var answer = UsageCalculator.Compute(new Meter("e", type, "v", Multiplier: 3m), Day, [Event(10, -2.5m)]);

        Assert.Equal((decimal)expected, answer.Value.Number);
        Assert.Equal(1, answer.EventCount);
    }

    [Fact]
    public void Negative_values_sum_avg_min_and_max_exactly()
    {
        UsageEvent[] events = [Event(1, -1.5m), Event(2, -0.25m), Event(3, 0.75m)];

        Assert.Equal(-1m, Value(AggregationType.Sum, events));
        Assert.Equal(-1m / 3m, Value(AggregationType.Avg, events));
        Assert.Equal(-1.5m, Value(AggregationType.Min, events));
        Assert.Equal(0.75m, Value(AggregationType.Max, events));
    }

    [Fact]
    public void Latest_takes_the_greatest_timestamp_and_on_a_tie_the_later_ingested()
    {
        UsageEvent[] events = [Event(5, 1m, order: 1), Event(9, 2m, order: 2), Event(9, 3m, order: 3), Event(2, 4m, order: 4)];

        Assert.Equal(3m, Value(AggregationType.Latest, events));
        Assert.Equal(3m, Value(AggregationType.Latest, [.. events.Reverse()]));
    }

    [Fact]
    public void Latest_reports_a_string_value_as_text()
    {
        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.Latest, "v"), Day, [Event(1, 1m), new UsageEvent(T0.AddMinutes(2), 2, Props("""{"v": "gold"}"""))]);

        Assert.Equal("gold", answer.Value.Text);
    }

    [Fact]
    public void The_total_is_over_the_range_not_a_sum_of_windows()
    {
        var events = new[] { "a", "b", "a", "c", "a" }.Select((u, i) => new UsageEvent(T0.AddMinutes(i * 50), i, Props($$"""{"v": "{{u}}"}"""))).ToList();

        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.CountUnique, "v"), Day with { Window = WindowSize.Hour }, events);

        Assert.Equal(3m, answer.Value.Number);
        Assert.Equal([2m, 1m, 1m, 1m], answer.Windows.Select(w => w.Value.Number));
        Assert.Equal(T0, answer.Windows[0].Start);
        Assert.Equal(T0.AddHours(1), answer.Windows[0].End);
    }

    [Fact]
    public void Cut_windows_keep_their_aligned_start_and_hold_only_events_of_the_range()
    {
        var range = new UsageRange(T0.AddMinutes(30), T0.AddMinutes(150), TimeZoneInfo.Utc, WindowSize.Hour);

        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.Sum, "v"), range, [Event(10, 1m), Event(40, 2m), Event(140, 4m), Event(160, 8m)]);

        Assert.Equal(6m, answer.Value.Number);
        Assert.Equal([(T0, 2m), (T0.AddHours(2), 4m)], answer.Windows.Select(w => (w.Start, w.Value.Number)));
    }

    [Fact]
    public void Weighted_sum_prorates_each_value_to_the_end_of_the_period()
    {
        // 10 at 6:00 of a day counts 3/4; 4 at 18:00 counts 1/4.
        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.WeightedSum, "v"), Day with { Window = WindowSize.TwelveHours }, [Event(360, 10m), Event(1080, 4m)]);

        Assert.Equal(8.5m, answer.Value.Number);
        // Per window, the period is the window: 10 at 6:00 of [0:00, 12:00) counts 1/2, 4 at 18:00 of [12:00, 24:00) counts 1/2.
        Assert.Equal([5m, 2m], answer.Windows.Select(w => w.Value.Number));
    }

    [Fact]
    public void Bucketed_max_sums_the_maximum_of_each_bucket()
    {
        UsageEvent[] events = [Event(10, 3m), Event(20, 5m), Event(70, 2m), Event(200, 7m), Event(201, 1m)];

        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.Max, "v", BucketSize: WindowSize.Hour), Day, events);

        Assert.Equal(5m + 2m + 7m, answer.Value.Number);
    }

    [Fact]
    public void Group_by_sums_the_maxima_of_each_group_and_bucket()
    {
        UsageEvent[] events =
        [
            new(T0.AddMinutes(1), 1, Props("""{"v": 3, "seat": "a"}""")),
            new(T0.AddMinutes(2), 2, Props("""{"v": 5, "seat": "a"}""")),
            new(T0.AddMinutes(3), 3, Props("""{"v": 4, "seat": "b"}""")),
            new(T0.AddMinutes(70), 4, Props("""{"v": 1, "seat": "b"}""")),
        ];

        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.Max, "v", BucketSize: WindowSize.Hour, GroupBy: "seat"), Day, events);

        Assert.Equal(5m + 4m + 1m, answer.Value.Number);
    }

    [Fact]
    public void Filters_and_across_keys_or_within_a_key_and_compare_numbers_by_value()
    {
        UsageEvent[] events =
        [
            new(T0.AddMinutes(1), 1, Props("""{"v": 1, "tier": 2, "model": "gpt-4o"}""")),
            new(T0.AddMinutes(2), 2, Props("""{"v": 10, "tier": "2", "model": "o1-mini"}""")),
            new(T0.AddMinutes(3), 3, Props("""{"v": 100, "tier": 2.0, "model": "claude"}""")),
            new(T0.AddMinutes(4), 4, Props("""{"v": 1000, "tier": 3, "model": "gpt-4o"}""")),
            new(T0.AddMinutes(5), 5, Props("""{"v": 10000, "model": "gpt-4o"}""")),
        ];
        ImmutableArray<MeterFilter> filters = [new MeterFilter("tier", ["2"]), new MeterFilter("model", ["gpt-4o", "o1-mini"])];

        var answer = UsageCalculator.Compute(new Meter("e", AggregationType.Sum, "v", Filters: filters), Day, events);

        Assert.Equal(11m, answer.Value.Number);
    }

    [Fact]
    public void Numeric_strings_count_and_unusable_values_are_skipped()
    {
        UsageEvent[] events =
        [
            new(T0.AddMinutes(1), 1, Props("""{"v": "2.5"}""")),
            new(T0.AddMinutes(2), 2, Props("""{"v": "lots"}""")),
            new(T0.AddMinutes(3), 3, Props("""{"w": 1}""")),
        ];

        Assert.Equal(2.5m, Value(AggregationType.Sum, events));
        Assert.Equal(3m, Value(AggregationType.Count, events));
    }

    private static decimal Value(AggregationType type, UsageEvent[] events) =>
        UsageCalculator.Compute(new Meter("e", type, "v"), Day, events).Value.Number;

    private static UsageEvent Event(int minute, decimal value, long order = 0) =>
        new(T0.AddMinutes(minute), order == 0 ? minute : order, Props($$"""{"v": {{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"""));

    private static JsonElement Props(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
