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
}
