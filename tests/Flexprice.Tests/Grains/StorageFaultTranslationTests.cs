using Flexprice.Grains;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Flexprice.Tests.Grains;

/// <summary>
/// Database faults leave a grain as exceptions a caller in another process can classify (503 or 400): Npgsql's own do not
/// get there at all (Orleans has no codec for them). The cluster's client is such a caller (its messages are serialized both ways).
/// </summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class StorageFaultTranslationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_value_PostgreSQL_refuses_in_a_grain_call_reaches_the_client_as_refused_and_stores_nothing()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var catalog = fixture.Grains.GetGrain<ITenantCatalogGrain>(tenant.Id);

        // The API refuses U+0000 at the door; a caller that skips the door meets PostgreSQL's refusal.
        var refused = await Assert.ThrowsAsync<StorageRefusedException>(() =>
            catalog.CreateFeature(new NewFeature("bad\0name", new Meter("api_call", AggregationType.Count, null), "BILLING_PERIOD")));

        Assert.Contains("U+0000", refused.Message);
        Assert.Empty(await fixture.Features.ListFeaturesAsync(tenant.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_key_lookup_PostgreSQL_refuses_reaches_the_client_as_refused()
    {
        // A key grain's key is a hash at the door; called directly with one PostgreSQL cannot compare, its lookup is refused.
        var refused = await Assert.ThrowsAsync<StorageRefusedException>(() => fixture.Grains.GetGrain<IApiKeyGrain>("key\0hash").Authenticate());

        Assert.Contains("U+0000", refused.Message);
    }

    public static TheoryData<Exception> Transient() =>
    [
        new NpgsqlException("connection refused"),
        new PostgresException("the database system is shutting down", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown),
        new TimeoutException("no connection from the pool in time"),
    ];

    [Theory]
    [MemberData(nameof(Transient))]
    public void A_passing_fault_becomes_unavailable(Exception fault) =>
        Assert.IsType<StorageUnavailableException>(StorageFaultTranslation.Translate(fault, NullLogger.Instance, default, "Test"));

    [Fact]
    public void A_refused_value_becomes_refused() =>
        Assert.IsType<StorageRefusedException>(StorageFaultTranslation.Translate(
            new PostgresException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "ERROR", PostgresErrorCodes.CharacterNotInRepertoire),
            NullLogger.Instance, default, "Test"));

    [Fact]
    public void Bugs_and_translated_faults_go_on_as_they_are()
    {
        Assert.Null(StorageFaultTranslation.Translate(new InvalidOperationException("a bug"), NullLogger.Instance, default, "Test"));
        Assert.Null(StorageFaultTranslation.Translate(new StorageUnavailableException("already"), NullLogger.Instance, default, "Test"));
        Assert.Null(StorageFaultTranslation.Translate(new StorageRefusedException("already"), NullLogger.Instance, default, "Test"));
    }
}
