using System.Text;
using Flexprice.Grains;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Grains;

/// <summary>
/// A customer's checkpoint is JSON with .NET type names inside (Orleans' ADO.NET grain storage), so renaming or
/// moving a state type would strand every stored row. The contract's move to <c>Flexprice.Grains.Abstractions</c>
/// left the state types (<c>Flexprice.Grains.State</c>, in the grains assembly) where they were; this holds it.
/// </summary>
[Collection(CustomerGrainCollection.Name)]
public sealed class CheckpointFormatTests(ClusterFixture fixture)
{
    /// <summary>
    /// Captured from a real write: the payload of the checkpoint row that the code before the contract's move (this
    /// branch at c19cd6f; the grain state as on main at dc8aac1) stored for the events of the test below, with the
    /// random feature id replaced by <c>{feature}</c>.
    /// </summary>
    private const string CheckpointBeforeTheMove =
        """
        {"$id":"1","$type":"Flexprice.Grains.State.CustomerUsageState, Flexprice.Grains","LastSeq":5,"Features":{"$id":"2","$type":"System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[Flexprice.Grains.State.FeatureAggregate, Flexprice.Grains]], System.Private.CoreLib","{feature}":{"$id":"3","$type":"Flexprice.Grains.State.FeatureAggregate, Flexprice.Grains","ThroughSeq":5,"EventCount":5,"Sum":15.0}}}
        """;

    [Fact]
    public async Task A_checkpoint_stored_before_the_contract_moved_is_written_alike_and_still_loads()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var tokens = await tenant.FeatureAsync("api_call", AggregationType.Sum, "tokens");
        var customer = await tenant.CustomerAsync();
        var events = Enumerable.Range(1, ClusterFixture.CheckpointEveryEvents)
            .Select(n => TestTenant.Event($"e{n}", "api_call", $$"""{"tokens": {{n}}}""", TestTenant.T0.AddSeconds(n)))
            .ToArray();
        await tenant.IngestAsync(customer, events);

        var before = CheckpointBeforeTheMove.Replace("{feature}", tokens.Id, StringComparison.Ordinal);
        Assert.Equal(before, await PayloadAsync(tenant, customer));

        // The row as the code before the move left it; a silo that cannot read it fails the grain's activation.
        await TestDatabase.ScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = @p WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k RETURNING version",
            ("p", Encoding.UTF8.GetBytes(before)), ("s", fixture.ServiceId), ("k", tenant.GrainKey(customer)));
        await fixture.CrashAndRestartAsync();

        var usage = await tenant.UsageAsync(customer);
        Assert.Equal(UsageValue.Of(15m), usage[tokens.Id].Value);
        Assert.Equal(5, usage[tokens.Id].EventCount);
    }

    private async Task<string> PayloadAsync(TestTenant tenant, string customer) =>
        Encoding.UTF8.GetString((await TestDatabase.ScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @s AND graintypestring = 'usage' AND grainidextensionstring = @k",
            ("s", fixture.ServiceId), ("k", tenant.GrainKey(customer))))!);
}
