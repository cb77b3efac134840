using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization.TypeSystem;

namespace Flexprice.Tests.Grains;

/// <summary>
/// The names the contract's messages travel under. Orleans writes a record's <c>[Alias]</c> where it would
/// otherwise write its .NET name, so the move of the contract to <c>Flexprice.Grains.Abstractions</c> left them as
/// they were: the list below was captured, with the same code, from the contract before the move. Added since:
/// <c>Flexprice.Meter</c> (a feature's and a query's meter, one type); the filter kept its name
/// <c>Flexprice.UsageFilter</c> when its type became <c>MeterFilter</c>.
/// </summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class WireNamesTests(ClusterFixture fixture)
{
    private static readonly string[] NamesBeforeTheMove =
    [
        "Flexprice.Admission",
        "Flexprice.ApiKeyIdentity",
        "Flexprice.CatalogSnapshot",
        "Flexprice.CustomerUsage",
        "Flexprice.FeatureDefinition",
        "Flexprice.FeatureDetails",
        "Flexprice.FeatureInput",
        "Flexprice.FeatureUsage",
        "Flexprice.IngestBatch",
        "Flexprice.IngestEvent",
        "Flexprice.IngestResult",
        "Flexprice.Meter",
        "Flexprice.NewFeature",
        "Flexprice.RateLimitDecision",
        "Flexprice.RateLimitedRoute",
        "Flexprice.RateLimits",
        "Flexprice.Rejection",
        "Flexprice.StorageRefusedException",
        "Flexprice.StorageUnavailableException",
        "Flexprice.UsageAnswer",
        "Flexprice.UsageFilter",
        "Flexprice.UsageLimitExceededException",
        "Flexprice.UsageQuery",
        "Flexprice.UsageQueryResult",
        "Flexprice.UsageValue",
        "Flexprice.UsageWindow",
    ];

    [Fact]
    public void The_contracts_messages_keep_their_wire_names()
    {
        var converter = fixture.Cluster.Client.ServiceProvider.GetRequiredService<TypeConverter>();
        var aliased = typeof(ICustomerGrain).Assembly.GetTypes()
            .Where(type => type.GetCustomAttribute<GenerateSerializerAttribute>() is not null && type.GetCustomAttribute<AliasAttribute>() is not null)
            .Select(type => converter.Format(type))
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(NamesBeforeTheMove, aliased);
    }

    [Fact]
    public void A_usage_query_crosses_the_wire_with_its_whole_meter()
    {
        var serializer = fixture.Cluster.Client.ServiceProvider.GetRequiredService<Orleans.Serialization.Serializer>();
        var meter = new Meter("model.usage", AggregationType.SumWithMultiplier, "credits", 2.5m, WindowSize.Hour, "seat",
            [new MeterFilter("model", ["gpt-4o", "o1"]), new MeterFilter("tier", ["2"])]);
        var query = new UsageQuery(meter, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc), "Europe/Paris", WindowSize.Day, null);

        var copy = serializer.Deserialize<UsageQuery>(serializer.SerializeToArray(query))!;

        Assert.Equal((meter.EventName, meter.Aggregation, meter.Field, meter.Multiplier, meter.BucketSize, meter.GroupBy),
            (copy.Meter.EventName, copy.Meter.Aggregation, copy.Meter.Field, copy.Meter.Multiplier, copy.Meter.BucketSize, copy.Meter.GroupBy));
        Assert.Equal(
            meter.Filters.Select(f => f.Key + "=" + string.Join("|", f.Values)),
            copy.Meter.Filters.Select(f => f.Key + "=" + string.Join("|", f.Values)));
        Assert.Equal((query.Start, query.End, query.TimeZoneId, query.Window), (copy.Start, copy.End, copy.TimeZoneId, copy.Window));
        Assert.Empty(serializer.Deserialize<Meter>(serializer.SerializeToArray(new Meter("e", AggregationType.Count, null)))!.Filters);
    }
}
