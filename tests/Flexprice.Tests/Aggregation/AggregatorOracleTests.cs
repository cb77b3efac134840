using System.Globalization;
using System.Text.Json.Nodes;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.State;
using static Flexprice.Tests.Aggregation.Features;

namespace Flexprice.Tests.Aggregation;

/// <summary>
/// Random event sequences read by <see cref="PropertyReader"/> and folded by <see cref="Aggregator"/>,
/// against a plain recomputation over the raw values.
/// </summary>
public sealed class AggregatorOracleTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Small pools so that ties and repeats are common.
    private static readonly string[] UniquePool = ["\"eu\"", "\"us\"", "\"EU\"", "\"1\"", "1", "1.0", "true", "\"true\"", "false", "-0"];
    private static readonly string[] TextPool = ["gold", "silver", "", "42", "Gold"];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 40)];

    private sealed record RawEvent(long Seq, DateTime Timestamp, decimal Number, bool NumberAsString, string? LatestText, decimal LatestNumber, string UniqueJson)
    {
        public string PropertiesJson() => new JsonObject
        {
            ["value"] = NumberAsString ? JsonValue.Create(Number.ToString(CultureInfo.InvariantCulture)) : JsonValue.Create(Number),
            ["latest"] = LatestText is { } text ? JsonValue.Create(text) : JsonValue.Create(LatestNumber),
            ["unique"] = JsonNode.Parse(UniqueJson),
        }.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Folding_equals_recomputation(int seed)
    {
        var random = new Random(seed);
        var events = Generate(random, random.Next(0, 60));
        var inLogOrder = Fold(events);
        var shuffled = Fold([.. events.OrderBy(_ => random.Next())]);

        var expected = new Dictionary<AggregationType, UsageValue>
        {
            [AggregationType.Count] = UsageValue.Of(events.Count),
            [AggregationType.Sum] = UsageValue.Of(events.Sum(e => e.Number)),
            [AggregationType.Max] = UsageValue.Of(events.Count == 0 ? 0m : events.Max(e => e.Number)),
            [AggregationType.Latest] = events.OrderBy(e => e.Timestamp).ThenBy(e => e.Seq).LastOrDefault() is { } last
                ? last.LatestText is { } text ? UsageValue.OfText(text) : UsageValue.Of(last.LatestNumber)
                : UsageValue.Of(0m),
            [AggregationType.CountUnique] = UsageValue.Of(events.Select(e => e.UniqueJson).Distinct(StringComparer.Ordinal).Count()),
        };
        foreach (var (type, value) in expected)
        {
            Assert.True(value == inLogOrder[type], $"seed {seed}, {type}: expected {value}, folded {inLogOrder[type]}");
            Assert.True(value == shuffled[type], $"seed {seed}, {type} (shuffled): expected {value}, folded {shuffled[type]}");
        }
    }

    private static List<RawEvent> Generate(Random random, int count)
    {
        var events = new List<RawEvent>(count);
        for (var seq = 1; seq <= count; seq++)
        {
            events.Add(new RawEvent(
                seq,
                T0.AddSeconds(random.Next(0, 8)),
                RandomDecimal(random),
                random.Next(4) == 0,
                random.Next(3) == 0 ? TextPool[random.Next(TextPool.Length)] : null,
                RandomDecimal(random),
                UniquePool[random.Next(UniquePool.Length)]));
        }

        return events;
    }

    private static decimal RandomDecimal(Random random) =>
        new(random.Next(0, 1_000_000), 0, 0, random.Next(2) == 0, (byte)random.Next(0, 5));

    private static Dictionary<AggregationType, UsageValue> Fold(IEnumerable<RawEvent> events)
    {
        var features = new Dictionary<AggregationType, FeatureDefinition>
        {
            [AggregationType.Count] = Of(AggregationType.Count),
            [AggregationType.Sum] = Of(AggregationType.Sum, "value"),
            [AggregationType.Max] = Of(AggregationType.Max, "value"),
            [AggregationType.Latest] = Of(AggregationType.Latest, "latest"),
            [AggregationType.CountUnique] = Of(AggregationType.CountUnique, "unique"),
        };
        var aggregates = features.Keys.ToDictionary(k => k, _ => new FeatureAggregate());
        foreach (var e in events)
        {
            var properties = Json(e.PropertiesJson());
            foreach (var (type, feature) in features)
            {
                Assert.True(PropertyReader.TryRead(properties, feature, out var input, out var error), error);
                InMemoryDistinct.Apply(aggregates[type], type, e.Seq, e.Timestamp, input);
            }
        }

        return features.Keys.ToDictionary(k => k, k => Aggregator.Value(aggregates[k], k));
    }
}
