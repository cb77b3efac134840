using System.Text.Json;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.State;
using Flexprice.Grains.Storage;

namespace Flexprice.Grains.Projection;

/// <summary>
/// One customer's usage as a fold of its event log, in plain C#: the running aggregates per feature (the state a
/// grain checkpoints), the log position they include, the ids of recent events (for retries) and, once a query
/// asked for them, the recent events themselves. The grain around it decides when to append, replay and checkpoint;
/// this decides what an event changes.
/// <para>
/// Positions: <see cref="CustomerUsageState.LastSeq"/> is the last log position folded; each feature's
/// <see cref="FeatureAggregate.ThroughSeq"/> the last it includes, so a feature new to this customer replays the
/// whole log, and a replay cut short by a fault continues where it stopped, never folding an event twice.
/// </para>
/// </summary>
public sealed class CustomerProjection(CustomerUsageState state, RecentEventIds recent)
{
    [ThreadStatic]
    private static AggregateChange[]? t_changes;

    /// <summary>The aggregates and their positions; replaced as a whole when a checkpoint is loaded.</summary>
    public CustomerUsageState State { get; set; } = state;

    public RecentEventIds Recent { get; } = recent;

    /// <summary>The tenant's features this projection folds into.</summary>
    public CatalogSnapshot Catalog { get; private set; } = new(-1, []);

    /// <summary>The customer's recent events, held once a usage query asked for them; null until then.</summary>
    public HotEvents? Hot { get; set; }

    /// <summary>
    /// True when <see cref="Recent"/> holds every id of the customer's log: the log was replayed from its start (no
    /// checkpoint skipped a prefix), nothing was forgotten since, and no append ended in doubt.
    /// </summary>
    public bool RecentIsWholeLog => _recentFromLogStart && !Recent.HasForgotten;

    private readonly HashSet<string> _catchingUp = new(StringComparer.Ordinal);

    private List<(string FeatureId, string Key)> _pendingDistinct = [];

    private bool _recentFromLogStart;

    /// <summary>
    /// Adopts a catalog and says after which log position to replay the log's tail (what follows the checkpoint). A
    /// feature new to this customer (or one a checkpoint caught halfway) does not hold that replay up: it catches up
    /// in the background (<see cref="CatchUp"/>), reported partial until then.
    /// </summary>
    public long Adopt(CatalogSnapshot catalog)
    {
        Catalog = catalog;
        foreach (var feature in catalog.Features)
        {
            if (!State.Features.TryGetValue(feature.Id, out var aggregate))
            {
                State.Features[feature.Id] = aggregate = new FeatureAggregate();
            }

            if (aggregate.ThroughSeq < State.LastSeq)
            {
                _catchingUp.Add(feature.Id);
            }

            if (aggregate.Unique is { } values)
            {
                // A checkpoint from before the values moved to the database: they go there now, the count follows.
                _pendingDistinct.AddRange(values.Select(v => (feature.Id, v)));
                aggregate.Unique = null;
            }
        }

        return State.LastSeq;
    }

    /// <summary>
    /// COUNT_UNIQUE values folded since the last hand-over, for the distinct-value store (which says which are new);
    /// taken as a whole, and given back by <see cref="ReturnDistinct"/> if storing them failed.
    /// </summary>
    public bool HasPendingDistinct => _pendingDistinct.Count > 0;

    public List<(string FeatureId, string Key)> TakeDistinct()
    {
        var taken = _pendingDistinct;
        _pendingDistinct = [];
        return taken;
    }

    public void ReturnDistinct(List<(string FeatureId, string Key)> taken) => _pendingDistinct.InsertRange(0, taken);

    /// <summary>The store took values: <paramref name="added"/> of them (per feature) were new to the customer.</summary>
    public void DistinctAdded(IReadOnlyDictionary<string, long> added)
    {
        foreach (var (featureId, count) in added)
        {
            if (State.Features.TryGetValue(featureId, out var aggregate))
            {
                aggregate.UniqueCount += count;
            }
        }
    }

    /// <summary>The store's counts, the truth after a replay (values a lost activation stored are counted there, not here).</summary>
    public void DistinctCounted(IReadOnlyDictionary<string, long> counts)
    {
        foreach (var feature in Catalog.Features.Where(f => f.Meter.Aggregation == AggregationType.CountUnique))
        {
            State.Features[feature.Id].UniqueCount = counts.GetValueOrDefault(feature.Id);
        }
    }

    /// <summary>True while some feature has not yet folded the whole log.</summary>
    public bool IsCatchingUp => _catchingUp.Count > 0;

    /// <summary>The position after which the next catch-up chunk reads.</summary>
    public long CatchUpFrom => _catchingUp.Count == 0 ? State.LastSeq : _catchingUp.Min(id => State.Features[id].ThroughSeq);

    /// <summary>Folds a row of the log into the features still catching up that have not seen its position.</summary>
    public void CatchUp(LoggedEvent row)
    {
        using var properties = JsonDocument.Parse(row.PropertiesJson);
        var features = Catalog.FeaturesFor(row.EventName);
        var changes = Changes(features.Length);
        var planned = 0;
        foreach (var feature in features)
        {
            var aggregate = State.Features[feature.Id];
            if (_catchingUp.Contains(feature.Id) && row.Seq > aggregate.ThroughSeq && feature.Meter.Accepts(properties.RootElement)
                && PropertyReader.TryRead(properties.RootElement, feature, out var input, out _))
            {
                changes[planned++] = Aggregator.Plan(aggregate, feature.Meter.Aggregation, row.Seq, row.Timestamp, input);
            }
        }

        Commit(changes, planned);
        foreach (var id in _catchingUp)
        {
            var aggregate = State.Features[id];
            aggregate.ThroughSeq = Math.Max(aggregate.ThroughSeq, row.Seq);
        }
    }

    /// <summary>
    /// Features that have folded the whole log join the others: from now on appends feed them at once.
    /// <paramref name="logEnded"/>: the last chunk read to the log's end (the log holds nothing more before LastSeq,
    /// e.g. after old partitions were dropped).
    /// </summary>
    public void CaughtUp(bool logEnded)
    {
        if (logEnded)
        {
            foreach (var id in _catchingUp)
            {
                State.Features[id].ThroughSeq = State.LastSeq;
            }
        }

        _catchingUp.RemoveWhere(id => State.Features[id].ThroughSeq >= State.LastSeq);
    }

    /// <summary>Folds one event read back from the log's tail (a replay), remembering its id.</summary>
    public void Replay(LoggedEvent row)
    {
        using var properties = JsonDocument.Parse(row.PropertiesJson);
        Fold(row.Seq, row.EventName, row.Timestamp, properties.RootElement);
        Recent.Remember(row.EventId, row.Fingerprint);
        State.LastSeq = Math.Max(State.LastSeq, row.Seq);
        // Row by row, so that a replay cut short by a fault leaves positions a later replay continues from.
        foreach (var feature in Catalog.Features)
        {
            if (!_catchingUp.Contains(feature.Id))
            {
                var aggregate = State.Features[feature.Id];
                aggregate.ThroughSeq = Math.Max(aggregate.ThroughSeq, row.Seq);
            }
        }
    }

    /// <summary>A replay that started at the log's beginning has put every id of the log into <see cref="Recent"/>.</summary>
    public void ReplayedFrom(long from)
    {
        SetThroughSeq();
        if (from == 0)
        {
            _recentFromLogStart = true;
        }
    }

    /// <summary>
    /// Folds an event just appended at <paramref name="seq"/>. Its <see cref="IngestEvent.Inputs"/> are used as they
    /// are when they were read against this projection's catalog version (<paramref name="inputsVersion"/>); otherwise
    /// (the catalog changed in between) the properties are read again here.
    /// </summary>
    public void Append(long seq, IngestEvent e, long inputsVersion)
    {
        if (inputsVersion == Catalog.Version && !e.Inputs.IsDefault && Hot is null)
        {
            var features = Catalog.FeaturesFor(e.EventName);
            var changes = Changes(features.Length);
            var planned = 0;
            foreach (var feature in features)
            {
                var aggregate = State.Features[feature.Id];
                if (seq > aggregate.ThroughSeq && !_catchingUp.Contains(feature.Id) && Input(e.Inputs, feature.Id) is { } input)
                {
                    changes[planned++] = Aggregator.Plan(aggregate, feature.Meter.Aggregation, seq, e.Timestamp, new AggregationInput(input.Number, input.Text, input.UniqueKey));
                }
            }

            Commit(changes, planned);
        }
        else
        {
            using var properties = JsonDocument.Parse(e.PropertiesJson);
            Fold(seq, e.EventName, e.Timestamp, properties.RootElement);
        }

        State.LastSeq = Math.Max(State.LastSeq, seq);
    }

    /// <summary>After appended events were folded: every feature includes the log up to <see cref="CustomerUsageState.LastSeq"/>.</summary>
    public void SetThroughSeq()
    {
        foreach (var feature in Catalog.Features)
        {
            if (!_catchingUp.Contains(feature.Id))
            {
                State.Features[feature.Id].ThroughSeq = State.LastSeq;
            }
        }
    }

    /// <summary>An append ended in doubt (it may or may not have been stored): the recent ids are no longer the whole log.</summary>
    public void Doubt() => _recentFromLogStart = false;

    /// <summary>All-time usage of every feature of the catalog.</summary>
    public CustomerUsage Usage(string externalCustomerId)
    {
        var features = Catalog.Features.Select(f =>
        {
            var aggregate = State.Features[f.Id];
            var value = Aggregator.Value(aggregate, f.Meter.Aggregation);
            return new FeatureUsage(
                f, f.Meter.Aggregation == AggregationType.SumWithMultiplier ? UsageValue.Of(value.Number * f.Meter.Factor) : value, aggregate.EventCount, _catchingUp.Contains(f.Id));
        });
        return new CustomerUsage(externalCustomerId, [.. features]);
    }

    /// <summary>Folds one logged event into each feature it feeds that has not yet seen its position.</summary>
    private void Fold(long seq, string eventName, DateTime timestamp, JsonElement properties)
    {
        var features = Catalog.FeaturesFor(eventName);
        var changes = Changes(features.Length);
        var planned = 0;
        foreach (var feature in features)
        {
            var aggregate = State.Features[feature.Id];
            // Events logged before the feature existed may lack its field: they do not feed it. A feature still catching
            // up is fed by the catch-up alone, in log order.
            if (seq > aggregate.ThroughSeq && !_catchingUp.Contains(feature.Id) && feature.Meter.Accepts(properties)
                && PropertyReader.TryRead(properties, feature, out var input, out _))
            {
                changes[planned++] = Aggregator.Plan(aggregate, feature.Meter.Aggregation, seq, timestamp, input);
            }
        }

        Commit(changes, planned);
        Hot?.Add(seq, eventName, timestamp, properties);
    }

    /// <summary>
    /// An event feeds all of its features or none: every change was planned (where an overflow would throw) before any
    /// is written.
    /// </summary>
    private void Commit(AggregateChange[] changes, int count)
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                Aggregator.Commit(changes[i]);
                if (changes[i].UniqueKey is { } key)
                {
                    _pendingDistinct.Add((FeatureIdOf(changes[i].Target), key));
                }
            }
        }
        finally
        {
            // The buffer (Changes) outlives the event: it keeps no reference to its texts once committed.
            Array.Clear(changes, 0, count);
        }
    }

    /// <summary>
    /// Where an event's changes are planned before any is committed: this thread's buffer, not an array per event (a
    /// plan is some 130 bytes, one per feature). Planning and committing do not await, so no other fold comes between.
    /// </summary>
    private static AggregateChange[] Changes(int count) =>
        t_changes is { } buffer && buffer.Length >= count ? buffer : t_changes = new AggregateChange[Math.Max(count, 8)];

    private string FeatureIdOf(FeatureAggregate aggregate)
    {
        foreach (var (id, candidate) in State.Features)
        {
            if (ReferenceEquals(candidate, aggregate))
            {
                return id;
            }
        }

        throw new InvalidOperationException("A change to an aggregate this projection does not hold.");
    }

    private static FeatureInput? Input(System.Collections.Immutable.ImmutableArray<FeatureInput> inputs, string featureId)
    {
        foreach (var input in inputs)
        {
            if (string.Equals(input.FeatureId, featureId, StringComparison.Ordinal))
            {
                return input;
            }
        }

        return null;
    }
}
