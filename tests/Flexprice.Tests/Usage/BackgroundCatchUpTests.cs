using System.Net;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Flexprice.Tests.Usage;

/// <summary>
/// A feature created on a customer with a long log catches up in the background, a chunk per grain turn: ingestion goes
/// on meanwhile, the feature's usage says <c>partial</c> until it has read the whole log, and then it is exact.
/// </summary>
public sealed class BackgroundCatchUpTests(BackgroundCatchUpTests.SmallChunksApi api) : IClassFixture<BackgroundCatchUpTests.SmallChunksApi>
{
    [Fact]
    public async Task A_new_feature_is_partial_while_it_reads_the_earlier_log_ingestion_goes_on_and_the_end_is_exact()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        var credits = 0m;
        var events = 0;
        for (var bulk = 0; bulk < 30; bulk++)
        {
            var batch = Enumerable.Range(0, 1000).Select(i => new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = (i % 7) + 1 } }).ToArray();
            await (await tenant.PostBulkAsync(batch)).ReadJsonAsync(HttpStatusCode.Accepted);
            credits += batch.Sum(e => e.properties.credits);
            events += batch.Length;
        }

        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        var first = await tenant.UsageAsync("cust_1");

        // Ingestion while the feature catches up: every request answered at once.
        for (var i = 0; i < 20; i++)
        {
            await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = 10 } }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
            credits += 10;
            events++;
        }

        var caughtUp = await tenant.CaughtUpUsageAsync("cust_1");

        Assert.True(first["credits"].GetProperty("partial").GetBoolean(), first["credits"].GetRawText());
        Assert.True(first["credits"].GetProperty("value").GetDecimal() < credits);
        Assert.False(first["calls"].TryGetProperty("partial", out _));
        Assert.False(caughtUp["credits"].TryGetProperty("partial", out _), caughtUp["credits"].GetRawText());
        Assert.Equal(credits, caughtUp["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(events, caughtUp["credits"].GetProperty("event_count").GetInt64());
        Assert.Equal(events, caughtUp["calls"].GetProperty("value").GetDecimal());
    }

    /// <summary>The API with a background catch-up of 200 events per grain turn.</summary>
    public sealed class SmallChunksApi : ApiFactory
    {
        protected override void ConfigureSettings(IWebHostBuilder builder) =>
            builder.UseSetting("CustomerGrain:CatchUpChunkEvents", "200");
    }
}
