using Microsoft.Extensions.Configuration;
using Npgsql;
using Orleans.TestingHost;
using static Flexprice.Tests.Persistence.OrleansDb;

namespace Flexprice.Tests.Persistence;

/// <summary>
/// A catalog missing a required key must stop the silo from starting (contract §1). Each test
/// copies orleansquery, minus one key, into a throwaway schema placed first on the search_path.
/// </summary>
public sealed class MissingQueryKeyTests
{
    private const string ConnectionStringKey = "FlexpriceTests:OrleansConnectionString";

    [Fact]
    public async Task Silo_starts_with_the_complete_catalog_copied_the_same_way()
    {
        var error = await StartSiloWithout(null);

        Assert.True(error is null, error?.ToString());
    }

    [Theory]
    [InlineData("ClearStorageKey")]
    [InlineData("DeleteStorageKey")] // required because DeleteStateOnClear = true
    [InlineData("CleanupDefunctSiloEntriesKey")]
    public async Task Silo_fails_to_start_when_a_required_key_is_missing(string missingKey)
    {
        var error = await StartSiloWithout(missingKey);

        Assert.NotNull(error);
    }

    /// <summary>Starts one silo with ADO.NET clustering and storage; returns its startup failure.</summary>
    private static async Task<Exception?> StartSiloWithout(string? missingKey)
    {
        var schema = "orleans_missing_" + Guid.NewGuid().ToString("N");
        var home = await ScalarAsync<string>("SELECT current_schema()");
        await ExecuteAsync(
            $"CREATE SCHEMA {schema}; CREATE TABLE {schema}.orleansquery AS SELECT * FROM orleansquery WHERE querykey IS DISTINCT FROM @key",
            Text("key", missingKey));
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(await ConnectionStringAsync()) { SearchPath = $"{schema},{home}" };
            var builder = new TestClusterBuilder(1);
            builder.Options.ServiceId = "missing-key-" + Guid.NewGuid().ToString("N");
            builder.Options.ClusterId = "missing-key-" + Guid.NewGuid().ToString("N");
            builder.Options.UseTestClusterMembership = false;
            builder.Options.InitializeClientOnDeploy = false;
            builder.Properties[ConnectionStringKey] = connection.ConnectionString;
            builder.AddSiloBuilderConfigurator<SiloConfigurator>();
            var cluster = builder.Build();
            try
            {
                await cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(30));
                return null;
            }
            catch (Exception ex) when (ex is not TimeoutException)
            {
                return ex;
            }
            finally
            {
                await cluster.DisposeAsync();
            }
        }
        finally
        {
            await ExecuteAsync($"DROP SCHEMA {schema} CASCADE");
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
            siloBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            siloBuilder.AddAdoNetGrainStorage("missing", o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
                o.DeleteStateOnClear = true;
            });
        }
    }
}
