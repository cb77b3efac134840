using System.Globalization;
using System.Text.Json.Nodes;
using Flexprice.Grains;
using static Flexprice.Tests.Grains.TestTenant;

namespace Flexprice.Tests.Grains;

/// <summary>
/// Random events, sent in random batches with random retries, against usage recomputed from the
/// raw events in the test; again after a deactivation and after a crash.
/// </summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class CustomerGrainOracleTests(ClusterFixture fixture)
{
    private static readonly string[] Regions = ["\"eu\"", "\"us\"", "\"EU\"", "\"1\"", "1", "true"];
    private static readonly string[] Models = ["\"gpt\"", "\"claude\"", "3", "-1.5"];

    private sealed record Sent(IngestEvent Event, decimal Tokens, string Model, string Region, decimal? Gb);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Usage_equals_a_recomputation_from_the_raw_events(int seed)
    {
        var random = new Random(seed);
        var tenant = await TestTenant.CreateAsync(fixture);
        var calls = await tenant.FeatureAsync("api_call", AggregationType.Count);
        var tokens = await tenant.FeatureAsync("api_call", AggregationType.Sum, "tokens");
        var peak = await tenant.FeatureAsync("api_call", AggregationType.Max, "tokens");
        var model = await tenant.FeatureAsync("api_call", AggregationType.Latest, "model");
        var regions = await tenant.FeatureAsync("api_call", AggregationType.CountUnique, "region");
        var storage = await tenant.FeatureAsync("storage", AggregationType.Sum, "gb");
        var storagePeak = await tenant.FeatureAsync("storage", AggregationType.Max, "gb");
        var customer = await tenant.CustomerAsync();

        // Accepted events in the order they were first logged.
        var accepted = new List<Sent>();
        var generated = 0;
        for (var round = 0; round < 25; round++)
        {
            var batch = new List<Sent>();
            for (var k = random.Next(1, 6); k > 0; k--)
            {
                var retry = accepted.Count > 0 && random.Next(4) == 0;
                batch.Add(retry ? accepted[random.Next(accepted.Count)] : New(random, generated++));
            }

            var result = await tenant.IngestAsync(customer, [.. batch.Select(s => s.Event)]);

            Assert.DoesNotContain(EventOutcome.Conflict, result.Outcomes.ToArray());
            for (var i = 0; i < batch.Count; i++)
            {
                var isNew = !accepted.Any(a => a.Event.EventId == batch[i].Event.EventId);
                Assert.Equal(isNew ? EventOutcome.Accepted : EventOutcome.Duplicate, result.Outcomes[i]);
                if (isNew)
                {
                    accepted.Add(batch[i]);
                }
            }
        }

        var apiCalls = accepted.Where(s => s.Event.EventName == "api_call").ToList();
        var gbEvents = accepted.Where(s => s.Gb is not null).ToList();
        var lastCall = apiCalls.Select((s, order) => (s, order)).OrderBy(x => x.s.Event.Timestamp).ThenBy(x => x.order).Select(x => x.s).LastOrDefault();
        var expected = new Dictionary<string, (UsageValue Value, long EventCount)>
        {
            [calls.Id] = (UsageValue.Of(apiCalls.Count), apiCalls.Count),
            [tokens.Id] = (UsageValue.Of(apiCalls.Sum(s => s.Tokens)), apiCalls.Count),
            [peak.Id] = (UsageValue.Of(apiCalls.Count == 0 ? 0m : apiCalls.Max(s => s.Tokens)), apiCalls.Count),
            [model.Id] = (lastCall is null ? UsageValue.Of(0m) : LatestValue(lastCall.Model), apiCalls.Count),
            [regions.Id] = (UsageValue.Of(apiCalls.Select(s => s.Region).Distinct(StringComparer.Ordinal).Count()), apiCalls.Count),
            [storage.Id] = (UsageValue.Of(gbEvents.Sum(s => s.Gb!.Value)), gbEvents.Count),
            [storagePeak.Id] = (UsageValue.Of(gbEvents.Count == 0 ? 0m : gbEvents.Max(s => s.Gb!.Value)), gbEvents.Count),
        };

        Assert.Equal(accepted.Count, await tenant.StoredEventsAsync(customer));
        Assert.Equal(expected, Values(await tenant.UsageAsync(customer)));

        await fixture.Cluster.DeactivateAsync(tenant.Grain(customer));
        Assert.Equal(expected, Values(await tenant.UsageAsync(customer)));

        // Something after the checkpoint, then a crash: checkpoint plus log tail.
        var tail = New(random, generated++);
        await tenant.IngestAsync(customer, tail.Event);
        await fixture.CrashAndRestartAsync();
        var afterCrash = Values(await tenant.UsageAsync(customer));
        if (tail.Event.EventName == "api_call")
        {
            Assert.Equal(apiCalls.Count + 1, afterCrash[calls.Id].EventCount);
            Assert.Equal(expected[tokens.Id].Value.Number + tail.Tokens, afterCrash[tokens.Id].Value.Number);
        }
        else
        {
            Assert.Equal(expected[storage.Id].Value.Number + tail.Gb!.Value, afterCrash[storage.Id].Value.Number);
        }
    }

    private static Sent New(Random random, int n)
    {
        var tokens = new decimal(random.Next(0, 100_000), 0, 0, random.Next(5) == 0, (byte)random.Next(0, 4));
        var modelJson = Models[random.Next(Models.Length)];
        var region = Regions[random.Next(Regions.Length)];
        var timestamp = T0.AddSeconds(random.Next(0, 10));
        if (random.Next(4) == 0)
        {
            var gb = new decimal(random.Next(0, 10_000), 0, 0, false, 1);
            // Storage events sometimes carry the gb as a numeric string; the field stays a decimal.
            var gbNode = random.Next(2) == 0 ? JsonValue.Create(gb) : JsonValue.Create(gb.ToString(CultureInfo.InvariantCulture));
            var storage = new JsonObject { ["gb"] = gbNode, ["tokens"] = 1 }.ToJsonString();
            return new Sent(Event($"s{n}", "storage", storage, timestamp), 0m, modelJson, region, gb);
        }

        var properties = new JsonObject
        {
            ["tokens"] = random.Next(3) == 0 ? JsonValue.Create(tokens.ToString(CultureInfo.InvariantCulture)) : JsonValue.Create(tokens),
            ["model"] = JsonNode.Parse(modelJson),
            ["region"] = JsonNode.Parse(region),
        }.ToJsonString();
        return new Sent(Event($"e{n}", "api_call", properties, timestamp), tokens, modelJson, region, null);
    }

    private static UsageValue LatestValue(string modelJson) =>
        modelJson.StartsWith('"') ? UsageValue.OfText(modelJson.Trim('"')) : UsageValue.Of(decimal.Parse(modelJson, CultureInfo.InvariantCulture));

    private static Dictionary<string, (UsageValue Value, long EventCount)> Values(Dictionary<string, FeatureUsage> usage) =>
        usage.ToDictionary(u => u.Key, u => (u.Value.Value, u.Value.EventCount), StringComparer.Ordinal);
}
