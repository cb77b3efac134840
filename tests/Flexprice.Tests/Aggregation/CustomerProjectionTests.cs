using System.Collections.Immutable;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Projection;
using Flexprice.Grains.State;
using Flexprice.Grains.Storage;

namespace Flexprice.Tests.Aggregation;

/// <summary>The customer's fold of its log, without a cluster: positions, replays, a feature added later, all-or-none.</summary>
public sealed class CustomerProjectionTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly FeatureDefinition Calls = Feature("feat_calls", AggregationType.Count, null);
    private static readonly FeatureDefinition Credits = Feature("feat_credits", AggregationType.Sum, "credits");

    [Fact]
    public void Appended_events_feed_every_feature_once_and_replays_skip_what_is_folded()
    {
        var projection = New();
        projection.Adopt(Catalog(1, Calls, Credits));

        projection.Append(1, Event("e1", 2m), inputsVersion: 1);
        projection.Append(2, Event("e2", 3m), inputsVersion: 1);
        projection.SetThroughSeq();
        // A replay of positions already folded (a checkpoint conflict, a second activation) changes nothing.
        projection.Replay(Logged(1, "e1", 2m));
        projection.Replay(Logged(2, "e2", 3m));

        Assert.Equal(2, projection.State.Features[Calls.Id].EventCount);
        Assert.Equal(5m, projection.State.Features[Credits.Id].Sum);
        Assert.Equal(2, projection.State.LastSeq);
    }

    [Fact]
    public void A_feature_added_later_catches_up_from_the_log_alone_and_is_partial_until_then()
    {
        var projection = New();
        projection.Adopt(Catalog(1, Calls));
        projection.Append(1, Event("e1", 2m), inputsVersion: 1);
        projection.Append(2, Event("e2", 3m), inputsVersion: 1);
        projection.SetThroughSeq();

        // The new feature does not hold the tail's replay up: it catches up on its own.
        Assert.Equal(2, projection.Adopt(Catalog(2, Calls, Credits)));
        Assert.True(projection.IsCatchingUp);
        Assert.Equal(0, projection.CatchUpFrom);
        Assert.True(projection.Usage("c").Features.Single(f => f.Feature.Id == Credits.Id).Partial);

        // An append meanwhile feeds the features that are current; the catching-up one reads it from the log in turn.
        projection.Append(3, Event("e3", 4m), inputsVersion: 2);
        projection.SetThroughSeq();
        Assert.Equal(0m, projection.State.Features[Credits.Id].Sum);
        projection.CatchUp(Logged(1, "e1", 2m));
        projection.CatchUp(Logged(2, "e2", 3m));
        projection.CaughtUp(logEnded: false);
        Assert.True(projection.IsCatchingUp);
        projection.CatchUp(Logged(3, "e3", 4m));
        projection.CaughtUp(logEnded: false);

        Assert.False(projection.IsCatchingUp);
        Assert.Equal(3, projection.State.Features[Calls.Id].EventCount);
        Assert.Equal(9m, projection.State.Features[Credits.Id].Sum);
        Assert.False(projection.Usage("c").Features.Single(f => f.Feature.Id == Credits.Id).Partial);

        // Current again: the next append feeds it at once.
        projection.Append(4, Event("e4", 1m), inputsVersion: 2);
        Assert.Equal(10m, projection.State.Features[Credits.Id].Sum);
    }

    [Fact]
    public void Inputs_read_at_the_door_are_used_only_for_the_catalog_version_they_were_read_against()
    {
        var projection = New();
        projection.Adopt(Catalog(2, Calls, Credits));
        // Inputs that say 100 credits, properties that say 7: read against version 1, so the grain reads the properties.
        var e = Event("e1", 7m) with { Inputs = [new FeatureInput(Calls.Id, 0, null, null), new FeatureInput(Credits.Id, 100m, null, null)] };

        projection.Append(1, e, inputsVersion: 1);
        projection.Append(2, e with { EventId = "e2" }, inputsVersion: 2);

        Assert.Equal(107m, projection.State.Features[Credits.Id].Sum);
    }

    [Fact]
    public void An_event_that_cannot_feed_one_of_its_features_feeds_none_of_them()
    {
        var projection = New();
        projection.Adopt(Catalog(1, Calls, Credits));
        projection.State.Features[Credits.Id].Sum = decimal.MaxValue - 1m;

        Assert.Throws<OverflowException>(() => projection.Append(1, Event("e1", 10m), inputsVersion: 1));
        Assert.Throws<OverflowException>(() => projection.Replay(Logged(1, "e1", 10m)));

        // COUNT comes first in the catalog: without planning every feature before writing any, it would have counted.
        Assert.Equal(0, projection.State.Features[Calls.Id].EventCount);
        Assert.Equal(decimal.MaxValue - 1m, projection.State.Features[Credits.Id].Sum);
    }

    private static CustomerProjection New() => new(new CustomerUsageState(), new RecentEventIds(100));

    private static CatalogSnapshot Catalog(long version, params FeatureDefinition[] features) => new(version, [.. features]);

    private static FeatureDefinition Feature(string id, AggregationType aggregation, string? field) =>
        new(id, id, "metered", "meter_" + id, new Meter("model.usage", aggregation, field), "BILLING_PERIOD", DateTimeOffset.UnixEpoch);

    private static IngestEvent Event(string id, decimal credits)
    {
        var json = $$"""{"credits": {{credits}}}""";
        using var properties = JsonDocument.Parse(json);
        return new IngestEvent(id, "model.usage", T0, null, json, EventFingerprint.Compute("model.usage", properties.RootElement, null), true,
            Inputs: [new FeatureInput(Calls.Id, 0, null, null), new FeatureInput(Credits.Id, credits, null, null)]);
    }

    private static LoggedEvent Logged(long seq, string id, decimal credits) =>
        new(seq, id, "model.usage", T0, $$"""{"credits": {{credits}}}""", [1, 2, 3]);
}
