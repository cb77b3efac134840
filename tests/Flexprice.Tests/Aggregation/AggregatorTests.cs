using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.State;

namespace Flexprice.Tests.Aggregation;

public sealed class AggregatorTests
{
    private static readonly DateTime T0 = new(2025, 8, 22, 7, 5, 49, DateTimeKind.Utc);

    public static TheoryData<AggregationType> AllAggregations => [.. Enum.GetValues<AggregationType>()];

    [Theory]
    [MemberData(nameof(AllAggregations))]
    public void No_events_is_zero(AggregationType type)
    {
        var aggregate = new FeatureAggregate();

        Assert.Equal(UsageValue.Of(0m), Aggregator.Value(aggregate, type));
        Assert.Equal(0, aggregate.EventCount);
    }

    [Fact]
    public void Count_counts_events()
    {
        var value = Fold(AggregationType.Count, Number(7m), Number(0m), Number(-3m));

        Assert.Equal(UsageValue.Of(3m), value);
    }

    [Fact]
    public void One_event_gives_its_value()
    {
        Assert.Equal(UsageValue.Of(1m), Fold(AggregationType.Count, Number(42.5m)));
        Assert.Equal(UsageValue.Of(42.5m), Fold(AggregationType.Sum, Number(42.5m)));
        Assert.Equal(UsageValue.Of(42.5m), Fold(AggregationType.Max, Number(42.5m)));
        Assert.Equal(UsageValue.Of(42.5m), Fold(AggregationType.Latest, Number(42.5m)));
        Assert.Equal(UsageValue.Of(1m), Fold(AggregationType.CountUnique, Unique("\"a\"")));
    }

    [Fact]
    public void Sum_adds_negative_values()
    {
        var value = Fold(AggregationType.Sum, Number(10m), Number(-2.5m), Number(-7.5m), Number(-1m));

        Assert.Equal(UsageValue.Of(-1m), value);
    }

    [Fact]
    public void Sum_is_exact_decimal()
    {
        var value = Fold(AggregationType.Sum, Number(0.1m), Number(0.2m));

        Assert.Equal(0.3m, value.Number);
        Assert.Equal("0.3", value.ToString());
    }

    [Fact]
    public void Sum_of_many_tenths_stays_exact()
    {
        var value = Fold(AggregationType.Sum, [.. Enumerable.Repeat(Number(0.1m), 1000)]);

        Assert.Equal(100m, value.Number);
    }

    [Fact]
    public void Sum_of_inputs_at_the_accepted_limit_does_not_overflow()
    {
        var value = Fold(AggregationType.Sum, [.. Enumerable.Repeat(Number(-PropertyReader.MaxMagnitude), 10_000)]);

        Assert.Equal(-PropertyReader.MaxMagnitude * 10_000, value.Number);
    }

    [Fact]
    public void Max_of_negatives_is_the_greatest_negative_not_zero()
    {
        var value = Fold(AggregationType.Max, Number(-5m), Number(-2m), Number(-9m));

        Assert.Equal(UsageValue.Of(-2m), value);
    }

    [Fact]
    public void Max_keeps_the_greatest_whatever_the_order()
    {
        Assert.Equal(UsageValue.Of(9.75m), Fold(AggregationType.Max, Number(1m), Number(9.75m), Number(3m)));
        Assert.Equal(UsageValue.Of(9.75m), Fold(AggregationType.Max, Number(9.75m), Number(1m), Number(3m)));
    }

    [Fact]
    public void Latest_takes_the_greatest_timestamp()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 1, T0, Number(1m));
        Apply(aggregate, AggregationType.Latest, 2, T0.AddSeconds(10), Number(2m));
        Apply(aggregate, AggregationType.Latest, 3, T0.AddSeconds(5), Number(3m));

        Assert.Equal(UsageValue.Of(2m), Aggregator.Value(aggregate, AggregationType.Latest));
    }

    [Fact]
    public void Latest_older_timestamp_arriving_later_does_not_win()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 1, T0, Number(1m));
        Apply(aggregate, AggregationType.Latest, 2, T0.AddTicks(-10), Number(2m));

        Assert.Equal(UsageValue.Of(1m), Aggregator.Value(aggregate, AggregationType.Latest));
    }

    [Fact]
    public void Latest_tie_on_timestamp_goes_to_the_later_logged_event()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 1, T0, Number(1m));
        Apply(aggregate, AggregationType.Latest, 2, T0, Number(2m));

        Assert.Equal(UsageValue.Of(2m), Aggregator.Value(aggregate, AggregationType.Latest));
    }

    [Fact]
    public void Latest_tie_is_decided_by_log_position_not_by_folding_order()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 2, T0, Number(2m));
        Apply(aggregate, AggregationType.Latest, 1, T0, Number(1m));

        Assert.Equal(UsageValue.Of(2m), Aggregator.Value(aggregate, AggregationType.Latest));
    }

    [Fact]
    public void Latest_keeps_a_string_as_text()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 1, T0, Number(5m));
        Apply(aggregate, AggregationType.Latest, 2, T0.AddSeconds(1), Text("gold"));

        Assert.Equal(UsageValue.OfText("gold"), Aggregator.Value(aggregate, AggregationType.Latest));
        Assert.Equal("gold", Aggregator.Value(aggregate, AggregationType.Latest).ToString());
    }

    [Fact]
    public void Latest_number_after_a_string_is_a_number_again()
    {
        var aggregate = new FeatureAggregate();
        Apply(aggregate, AggregationType.Latest, 1, T0, Text("gold"));
        Apply(aggregate, AggregationType.Latest, 2, T0.AddSeconds(1), Number(0m));

        Assert.Equal(UsageValue.Of(0m), Aggregator.Value(aggregate, AggregationType.Latest));
    }

    [Fact]
    public void Latest_empty_string_is_text_not_zero()
    {
        var value = Fold(AggregationType.Latest, Text(""));

        Assert.Equal(UsageValue.OfText(""), value);
    }

    [Fact]
    public void Count_unique_counts_the_same_string_once()
    {
        var value = Fold(AggregationType.CountUnique, Unique("\"eu\""), Unique("\"us\""), Unique("\"eu\""));

        Assert.Equal(UsageValue.Of(2m), value);
    }

    [Fact]
    public void Count_unique_string_1_and_number_1_are_distinct()
    {
        var value = Fold(AggregationType.CountUnique, Unique("\"1\""), Unique("1"), Unique("1"), Unique("\"1\""));

        Assert.Equal(UsageValue.Of(2m), value);
    }

    [Fact]
    public void Count_unique_is_case_sensitive()
    {
        var value = Fold(AggregationType.CountUnique, Unique("\"EU\""), Unique("\"eu\""));

        Assert.Equal(UsageValue.Of(2m), value);
    }

    [Fact]
    public void Event_count_counts_every_folded_event_whatever_the_aggregation()
    {
        foreach (var type in Enum.GetValues<AggregationType>())
        {
            var aggregate = new FeatureAggregate();
            for (var seq = 1; seq <= 4; seq++)
            {
                Apply(aggregate, type, seq, T0, type == AggregationType.CountUnique ? Unique("\"x\"") : Number(seq));
            }

            Assert.Equal(4, aggregate.EventCount);
        }
    }

    private static UsageValue Fold(AggregationType type, params AggregationInput[] inputs)
    {
        var aggregate = new FeatureAggregate();
        for (var i = 0; i < inputs.Length; i++)
        {
            Apply(aggregate, type, i + 1, T0, inputs[i]);
        }

        return Aggregator.Value(aggregate, type);
    }

    private static void Apply(FeatureAggregate aggregate, AggregationType type, long seq, DateTime timestamp, AggregationInput input) =>
        InMemoryDistinct.Apply(aggregate, type, seq, timestamp, input);

    private static AggregationInput Number(decimal value) => new(value, null, null);

    private static AggregationInput Text(string value) => new(0m, value, null);

    private static AggregationInput Unique(string jsonText) => new(0m, null, jsonText);
}
