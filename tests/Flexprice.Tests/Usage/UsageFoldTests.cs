using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Tests.Usage;

/// <summary>
/// The streaming fold against the oracle: the list calculator it replaced, on random meters, ranges, zones and events,
/// in the events' own order and in time order (where buckets and windows are dropped as they end).
/// </summary>
public sealed class UsageFoldTests
{
    private static readonly DateTime T0 = new(2025, 3, 8, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Zones = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];
    private static readonly WindowSize?[] Sizes = [null, null, WindowSize.FifteenMinutes, WindowSize.Hour, WindowSize.ThreeHours, WindowSize.Day, WindowSize.Week, WindowSize.Month];

    [Fact]
    public void Streaming_gives_the_list_calculators_answer_in_any_order_and_in_time_order()
    {
        var random = new Random(20261206);
        for (var round = 0; round < 1500; round++)
        {
            var (meter, range, events) = RandomCase(random);
            var expected = ListUsageCalculator.Compute(meter, range, events);
            Assert.Equal(Show(expected), Show(UsageCalculator.Compute(meter, range, events)));

            var sorted = events.OrderBy(e => e.Timestamp).ToList();
            var fold = new UsageFold(meter, range, ordered: true);
            foreach (var e in sorted)
            {
                fold.Add(e);
            }

            Assert.Equal(Show(ListUsageCalculator.Compute(meter, range, sorted)), Show(fold.Result()));
        }
    }

    [Fact]
    public void More_than_ten_thousand_windows_is_refused_naming_window_size_before_any_event()
    {
        var range = new UsageRange(T0, T0.AddYears(10), TimeZoneInfo.Utc, WindowSize.Minute);

        var refused = Assert.Throws<UsageLimitExceededException>(() => new UsageFold(new Meter("e", AggregationType.Count, null), range, ordered: true));

        Assert.Equal("window_size", refused.Field);
        Assert.Contains("10000", refused.Message, StringComparison.Ordinal);
        // Exactly 10,000 windows are fine.
        _ = new UsageFold(new Meter("e", AggregationType.Count, null), new UsageRange(T0, T0.AddMinutes(10_000), TimeZoneInfo.Utc, WindowSize.Minute), ordered: true);
    }

    [Fact]
    public void More_than_ten_thousand_group_values_is_refused_naming_group_by()
    {
        using var document = JsonDocument.Parse("[" + string.Join(",", Enumerable.Range(0, UsageFold.MaxGroups + 1).Select(i => $$"""{"v":1,"g":{{i}}}""")) + "]");
        var fold = new UsageFold(new Meter("e", AggregationType.Sum, "v", GroupBy: "g"), new UsageRange(T0, T0.AddDays(1), TimeZoneInfo.Utc), ordered: true);
        var elements = document.RootElement.EnumerateArray().ToList();
        for (var i = 0; i < UsageFold.MaxGroups; i++)
        {
            fold.Add(new UsageEvent(T0.AddSeconds(i), i, elements[i]));
        }

        Assert.Equal(UsageFold.MaxGroups, fold.Result().Value.Number);
        var refused = Assert.Throws<UsageLimitExceededException>(() => fold.Add(new UsageEvent(T0.AddDays(0.5), 0, elements[^1])));
        Assert.Equal("group_by", refused.Field);
    }

    [Fact]
    public void A_time_ordered_fold_drops_finished_buckets_so_distinct_values_are_held_one_bucket_at_a_time()
    {
        // 1,100,000 distinct values over 1,100 hourly buckets: more than may be held at once, 1,000 per bucket.
        const int buckets = 1_100;
        const int perBucket = 1_000;
        var json = new StringBuilder("[");
        for (var n = 0; n < buckets * perBucket; n++)
        {
            json.Append(n == 0 ? "" : ",").Append("{\"v\":").Append(n.ToString(CultureInfo.InvariantCulture)).Append('}');
        }

        using var document = JsonDocument.Parse(json.Append(']').ToString());
        var meter = new Meter("e", AggregationType.CountUnique, "v", BucketSize: WindowSize.Hour);
        var range = new UsageRange(T0, T0.AddHours(buckets), TimeZoneInfo.Utc, WindowSize.Month);
        var ordered = new UsageFold(meter, range, ordered: true);
        var unordered = new UsageFold(meter, range, ordered: false);
        var i = 0;
        UsageLimitExceededException? refused = null;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var e = new UsageEvent(T0.AddHours(i / perBucket).AddSeconds(i % perBucket), i, element);
            ordered.Add(e);
            if (refused is null)
            {
                try
                {
                    unordered.Add(e);
                }
                catch (UsageLimitExceededException ex)
                {
                    refused = ex;
                }
            }

            i++;
        }

        Assert.Equal(buckets * perBucket, ordered.Result().Value.Number);
        Assert.Equal((long)buckets * perBucket, ordered.Result().Windows.Sum(w => w.EventCount));
        Assert.NotNull(refused);
        Assert.Equal("aggregation_type", refused.Field);
    }

    [Fact]
    public void An_ordered_fold_refuses_an_event_out_of_time_order()
    {
        using var document = JsonDocument.Parse("""{"v": 1}""");
        var fold = new UsageFold(new Meter("e", AggregationType.Sum, "v"), new UsageRange(T0, T0.AddDays(1), TimeZoneInfo.Utc), ordered: true);
        fold.Add(new UsageEvent(T0.AddHours(2), 1, document.RootElement));

        Assert.Throws<InvalidOperationException>(() => fold.Add(new UsageEvent(T0.AddHours(1), 2, document.RootElement)));
    }

    private static (Meter Meter, UsageRange Range, List<UsageEvent> Events) RandomCase(Random random)
    {
        var types = Enum.GetValues<AggregationType>();
        var type = types[random.Next(types.Length)];
        WindowSize? bucket = random.Next(4) switch { 0 => WindowSize.Hour, 1 => WindowSize.Day, _ => null };
        var groupBy = random.Next(3) == 0 ? "g" : null;
        ImmutableArray<MeterFilter> filters = random.Next(3) == 0 ? [new MeterFilter("f", random.Next(2) == 0 ? ["a"] : ["a", "2"])] : [];
        var meter = new Meter("e", type, "v", random.Next(2) == 0 ? 1m : 2.5m, bucket, groupBy, filters);
        var start = T0.AddMinutes(random.Next(-3000, 3000));
        var end = start.AddMinutes(random.Next(1, 60 * 24 * 40));
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zones[random.Next(Zones.Length)]);
        var range = new UsageRange(start, end, zone, Sizes[random.Next(Sizes.Length)], random.Next(4) == 0 ? T0.AddDays(random.Next(1, 28)).AddHours(random.Next(24)) : null);
        var events = new List<UsageEvent>();
        var count = random.Next(0, 80);
        var span = (end - start).TotalMinutes;
        for (var i = 0; i < count; i++)
        {
            // Some before and after the range; some on the same instant (LATEST's ties by order).
            var at = random.Next(8) == 0 && events.Count > 0 ? events[random.Next(events.Count)].Timestamp : start.AddMinutes((random.NextDouble() * 1.2 - 0.1) * span);
            var properties = new Dictionary<string, object?>();
            switch (random.Next(7))
            {
                case 0: break;
                case 1: properties["v"] = $"{random.Next(-5, 50)}.{random.Next(100)}"; break;
                case 2: properties["v"] = random.Next(3) == 0 ? "gold" : "silver"; break;
                case 3: properties["v"] = random.Next(2) == 0; break;
                default: properties["v"] = Math.Round((decimal)(random.NextDouble() * 200 - 50), random.Next(4)); break;
            }

            if (random.Next(4) != 0)
            {
                properties["g"] = random.Next(3) == 0 ? random.Next(3) : $"seat-{random.Next(4)}";
            }

            if (random.Next(3) != 0)
            {
                properties["f"] = random.Next(3) switch { 0 => "a", 1 => (object)2, _ => "b" };
            }

            events.Add(new UsageEvent(at, random.Next(1, 1000), JsonSerializer.SerializeToElement(properties)));
        }

        return (meter, range, events);
    }

    private static string Show(UsageAnswer answer) =>
        $"{answer.Value} / {answer.EventCount} / " + string.Join(", ", answer.Windows.Select(w => $"[{w.Start:O} {w.End:O} {w.Value} {w.EventCount}]"));
}
