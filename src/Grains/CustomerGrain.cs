using System.Collections.Immutable;
using System.Text.Json;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.State;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Flexprice.Grains;

/// <summary>
/// The heart of ingestion. The event log is the truth and this grain's state a checkpointed
/// projection of it: a batch is deduplicated, appended to the log in one statement, and only the
/// rows really inserted are folded into the in-memory aggregates. Checkpoints go through Orleans
/// grain storage every N events or T seconds; on activation the grain loads the checkpoint and
/// replays the log after it, so a crash between append and checkpoint loses nothing.
/// </summary>
public sealed class CustomerGrain(
    [PersistentState("usage", StorageNames.Checkpoints)] IPersistentState<CustomerUsageState> state,
    EventLog log,
    EventLogWriter writer,
    CatalogStore catalog,
    HotEventsBudget hotBudget,
    IOptions<CustomerGrainOptions> options,
    TimeProvider time,
    ILogger<CustomerGrain> logger) : Grain, ICustomerGrain
{
    private const int MaxAppendAttempts = 3;

    private readonly RecentEventIds _recent = new(options.Value.RecentEventIds);
    private string _tenantId = "";
    private string _externalId = "";
    private CustomerRecord? _customer;
    private CatalogSnapshot _catalog = new(-1, []);
    private int _sinceCheckpoint;
    private HotEvents? _hot;
    private ITenantCatalogGrain? _catalogGrain;

    // True while the log is being read into the aggregates: they are half-updated, and an
    // interleaved usage query must wait for its turn instead of reading them.
    private bool _catchingUp;

    // True when the recent-id memory holds every id of this customer's log: the log was replayed
    // from its start into it (no checkpoint skipped a prefix), nothing was forgotten since, and no
    // append ended in doubt. Then Check need not ask the database about ids it does not remember.
    private bool _memoryFromLogStart;

    private CustomerUsageState Usage => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_tenantId, _externalId) = CustomerKey.Parse(this.GetPrimaryKeyString());
        if (await EnsureCustomerAsync(cancellationToken))
        {
            await CatchUpAsync(await Catalog().GetSnapshot(), cancellationToken);
        }

        // The first tick at a random point of the first interval, so that grains activated together
        // (a bulk reaching thousands of customers) do not checkpoint together ever after.
        var interval = options.Value.CheckpointInterval;
        this.RegisterGrainTimer(CheckpointIfDirtyAsync, interval * (0.5 + Random.Shared.NextDouble() / 2), interval);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _hot?.Release();
        await CheckpointIfDirtyAsync(cancellationToken);
    }

    public async Task<IngestResult> Ingest(IngestBatch batch)
    {
        if (!await PrepareAsync(batch.CatalogVersion))
        {
            return NotFound(batch);
        }

        if (OtherCustomer(batch) is { } mismatch)
        {
            return mismatch;
        }

        var (outcomes, pending) = Classify(batch.Events);
        if (outcomes.Contains(EventOutcome.Conflict) || pending.Count == 0)
        {
            return new IngestResult(true, [.. outcomes]);
        }

        AppendResult appended;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                appended = await AppendAsync(batch.Events, pending);
            }
            catch
            {
                // The rows may or may not have been committed: the next append finds out (its
                // positions are then taken), but until then memory is not the whole log.
                _memoryFromLogStart = false;
                throw;
            }

            if (!appended.Collided)
            {
                break;
            }

            // Another activation of this customer (possible while a cluster's membership settles)
            // wrote after our position, or raced on one of these ids: nothing of ours was stored.
            // Read what it wrote, then decide again after it.
            if (attempt == MaxAppendAttempts)
            {
                throw new InvalidOperationException($"Customer {_tenantId}/{_externalId}: the event log kept moving past position {Usage.LastSeq}; giving up after {attempt} attempts");
            }

            logger.LogWarning("Customer {Tenant}/{Customer}: another writer logged after position {Seq}; catching up", _tenantId, _externalId, Usage.LastSeq);
            await CatchUpAsync(_catalog, CancellationToken.None);
            (outcomes, pending) = Classify(batch.Events);
            if (outcomes.Contains(EventOutcome.Conflict) || pending.Count == 0)
            {
                return new IngestResult(true, [.. outcomes]);
            }
        }

        if (appended.Refused is { } refused)
        {
            foreach (var index in pending)
            {
                outcomes[index] = EventOutcome.Refused;
            }

            return new IngestResult(true, [.. outcomes], refused);
        }

        var conflict = pending.Any(i => appended.Existing.TryGetValue(batch.Events[i].EventId, out var stored) && !stored.AsSpan().SequenceEqual(batch.Events[i].Fingerprint));
        foreach (var index in pending)
        {
            var e = batch.Events[index];
            outcomes[index] = appended.Existing.TryGetValue(e.EventId, out var stored)
                ? stored.AsSpan().SequenceEqual(e.Fingerprint) ? EventOutcome.Duplicate : EventOutcome.Conflict
                // Not stored before: inserted now, or (when a conflict stopped the statement) what
                // would have been, which is what Check answers.
                : EventOutcome.Accepted;
        }

        if (conflict)
        {
            // The statement stored nothing.
            return new IngestResult(true, [.. outcomes]);
        }

        if (appended.LastExistingSeq > Usage.LastSeq)
        {
            // Some of these ids were logged past what this activation has folded, by another
            // activation: fold the log after our position, which holds its events and ours.
            await CatchUpAsync(_catalog, CancellationToken.None);
        }
        else
        {
            foreach (var index in pending)
            {
                var e = batch.Events[index];
                if (appended.Inserted.TryGetValue(e.EventId, out var seq))
                {
                    using var properties = JsonDocument.Parse(e.PropertiesJson);
                    Fold(seq, e.EventName, e.Timestamp, properties.RootElement);
                    Usage.LastSeq = Math.Max(Usage.LastSeq, seq);
                }
            }

            SetThroughSeq();
            _sinceCheckpoint += appended.Inserted.Count;
        }

        foreach (var index in pending)
        {
            _recent.Remember(batch.Events[index].EventId, batch.Events[index].Fingerprint);
        }

        if (_sinceCheckpoint >= options.Value.CheckpointEveryEvents)
        {
            await CheckpointAsync(CancellationToken.None);
        }

        return new IngestResult(true, [.. outcomes]);
    }

    public async Task<IngestResult> Check(IngestBatch batch)
    {
        if (!await PrepareAsync(batch.CatalogVersion))
        {
            return NotFound(batch);
        }

        if (OtherCustomer(batch) is { } mismatch)
        {
            return mismatch;
        }

        var (outcomes, pending) = Classify(batch.Events);
        // Server-made ids are new by construction; a client's id not in memory may be in the log,
        // unless memory holds the whole log. (Another activation may be logging right now either
        // way; Ingest decides against the log itself.)
        var memoryIsWholeLog = _memoryFromLogStart && !_recent.HasForgotten;
        var askLog = memoryIsWholeLog ? [] : pending.Where(i => batch.Events[i].EventIdGiven).Select(i => batch.Events[i].EventId).ToList();
        var stored = askLog.Count == 0
            ? []
            : await log.FindAsync(_tenantId, _externalId, askLog, CancellationToken.None);
        foreach (var index in pending)
        {
            var e = batch.Events[index];
            outcomes[index] = !stored.TryGetValue(e.EventId, out var fingerprint) ? EventOutcome.Accepted
                : fingerprint.AsSpan().SequenceEqual(e.Fingerprint) ? EventOutcome.Duplicate
                : EventOutcome.Conflict;
        }

        return new IngestResult(true, [.. outcomes]);
    }

    /// <summary>
    /// Interleaved (see the interface): runs while another call of this grain may be suspended at
    /// an await. The aggregates are consistent at every such point except during a catch-up from
    /// the log, and an ingest folds its rows only after its commit and without awaiting, so what
    /// this reads holds every acknowledged event and no uncommitted one. Anything else (customer not
    /// loaded yet, catalog changed, catch-up running) is done in turn, through GetUsageInTurn.
    /// </summary>
    public async Task<CustomerUsage?> GetUsage()
    {
        if (_customer is null && !await EnsureCustomerAsync(CancellationToken.None))
        {
            // Unknown: answered here, not through a call in turn to this activation, which would wait for
            // its own deactivation (requested for unknown customers) until the call timed out.
            DeactivateOnIdle();
            return null;
        }

        if (_customer is not null && !_catchingUp)
        {
            var snapshot = await Catalog().GetSnapshot();
            if (_customer is not null && !_catchingUp && snapshot.Version == _catalog.Version)
            {
                return CurrentUsage();
            }
        }

        return await this.AsReference<ICustomerGrain>().GetUsageInTurn();
    }

    public async Task<CustomerUsage?> GetUsageInTurn()
    {
        if (!await PrepareAsync(minimumCatalogVersion: long.MaxValue))
        {
            return null;
        }

        return CurrentUsage();
    }

    private CustomerUsage CurrentUsage()
    {
        var features = _catalog.Features.Select(f =>
        {
            var aggregate = Usage.Features[f.Id];
            var value = Aggregator.Value(aggregate, f.Aggregation);
            return new FeatureUsage(f, f.Aggregation == AggregationType.SumWithMultiplier ? UsageValue.Of(value.Number * (f.Multiplier ?? 1m)) : value, aggregate.EventCount);
        });
        return new CustomerUsage(_externalId, [.. features]);
    }

    public async Task<UsageQueryResult> QueryUsage(UsageQuery query)
    {
        if (!await PrepareAsync(minimumCatalogVersion: 0))
        {
            return new UsageQueryResult(false, null);
        }

        var hotFrom = time.GetUtcNow().UtcDateTime - options.Value.HotPeriod;
        if (_hot is null)
        {
            if (query.Start < hotFrom)
            {
                // Nothing held yet and the range is old anyway: leave it to the log.
                return new UsageQueryResult(true, null);
            }

            // Rebuilt from the log on first use: everything logged at or after hotFrom (late events too).
            var hot = new HotEvents(hotFrom, options.Value.HotMaxEvents, options.Value.HotMaxBytes, hotBudget);
            await foreach (var row in log.ReadSinceAsync(_tenantId, _externalId, hotFrom, CancellationToken.None))
            {
                using var properties = JsonDocument.Parse(row.PropertiesJson);
                hot.Add(row.Seq, row.EventName, row.Timestamp, properties.RootElement);
            }

            _hot = hot;
        }

        _hot.Advance(hotFrom);
        if (query.Start < _hot.From)
        {
            return new UsageQueryResult(true, null);
        }

        var (meter, range) = UsageCalculator.From(query);
        var events = _hot.Range(query.EventName, query.Start, query.End).Select(e => new UsageEvent(e.Timestamp, e.Seq, e.Properties));
        return new UsageQueryResult(true, UsageCalculator.Compute(meter, range, events));
    }

    /// <summary>Makes sure the customer exists and the catalog is at least at the given version; false when the customer is unknown.</summary>
    private async Task<bool> PrepareAsync(long minimumCatalogVersion)
    {
        if (_customer is null)
        {
            if (!await EnsureCustomerAsync(CancellationToken.None))
            {
                // Not remembered: a customer created later is found on the next call.
                DeactivateOnIdle();
                return false;
            }

            await CatchUpAsync(await Catalog().GetSnapshot(), CancellationToken.None);
        }

        if (minimumCatalogVersion > _catalog.Version)
        {
            var snapshot = await Catalog().GetSnapshot();
            if (snapshot.Version != _catalog.Version)
            {
                await CatchUpAsync(snapshot, CancellationToken.None);
            }
        }

        return true;
    }

    private async Task<bool> EnsureCustomerAsync(CancellationToken cancellationToken)
    {
        _customer ??= await catalog.FindCustomerByExternalIdAsync(_tenantId, _externalId, cancellationToken);
        return _customer is not null;
    }

    /// <summary>
    /// Splits a batch into events answered from memory (repeats within the batch, recently seen ids)
    /// and the indexes of events the log must decide.
    /// </summary>
    private (EventOutcome[] Outcomes, List<int> Pending) Classify(ImmutableArray<IngestEvent> events)
    {
        var outcomes = new EventOutcome[events.Length];
        var pending = new List<int>(events.Length);
        var firstIndex = new Dictionary<string, int>(events.Length, StringComparer.Ordinal);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            if (firstIndex.TryGetValue(e.EventId, out var first))
            {
                outcomes[i] = Same(events[first].Fingerprint, e.Fingerprint);
            }
            else if (_recent.TryCompare(e.EventId, e.Fingerprint, out var same))
            {
                firstIndex[e.EventId] = i;
                outcomes[i] = same ? EventOutcome.Duplicate : EventOutcome.Conflict;
            }
            else
            {
                firstIndex[e.EventId] = i;
                pending.Add(i);
            }
        }

        return (outcomes, pending);

        static EventOutcome Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b) ? EventOutcome.Duplicate : EventOutcome.Conflict;
    }

    /// <summary>Through the silo's group-commit writer: this grain waits (and keeps its other calls waiting) until the flush holding its rows committed.</summary>
    private Task<AppendResult> AppendAsync(ImmutableArray<IngestEvent> events, List<int> pending) =>
        writer.AppendAsync(new AppendRequest(_tenantId, _externalId, _customer!.Id, [.. pending.Select(i => events[i])], Usage.LastSeq));

    /// <summary>
    /// Brings every feature of <paramref name="snapshot"/> up to the end of the log: replays what
    /// follows the checkpoint, and the whole log for a feature this customer has not seen before.
    /// </summary>
    private async Task CatchUpAsync(CatalogSnapshot snapshot, CancellationToken cancellationToken)
    {
        _catalog = snapshot;
        foreach (var feature in snapshot.Features)
        {
            if (!Usage.Features.ContainsKey(feature.Id))
            {
                Usage.Features[feature.Id] = new FeatureAggregate();
            }
        }

        var from = Usage.LastSeq;
        foreach (var feature in snapshot.Features)
        {
            from = Math.Min(from, Usage.Features[feature.Id].ThroughSeq);
        }

        var replayed = 0;
        _catchingUp = true;
        try
        {
            await foreach (var row in log.ReadAsync(_tenantId, _externalId, from, cancellationToken))
            {
                using var properties = JsonDocument.Parse(row.PropertiesJson);
                Fold(row.Seq, row.EventName, row.Timestamp, properties.RootElement);
                _recent.Remember(row.EventId, row.Fingerprint);
                Usage.LastSeq = Math.Max(Usage.LastSeq, row.Seq);
                // Row by row, so that a replay cut short by a fault leaves positions that a later
                // replay (or a checkpoint) continues from, never folds again.
                foreach (var feature in snapshot.Features)
                {
                    var aggregate = Usage.Features[feature.Id];
                    aggregate.ThroughSeq = Math.Max(aggregate.ThroughSeq, row.Seq);
                }

                replayed++;
            }

            SetThroughSeq();
            if (from == 0)
            {
                _memoryFromLogStart = true;
            }
        }
        finally
        {
            _catchingUp = false;
        }

        if (replayed > 0)
        {
            _sinceCheckpoint += replayed;
            logger.LogInformation("Customer {Tenant}/{Customer}: replayed {Count} logged events after position {From}", _tenantId, _externalId, replayed, from);
        }
    }

    /// <summary>Folds one logged event into each feature it feeds that has not yet seen its position.</summary>
    private void Fold(long seq, string eventName, DateTime timestamp, JsonElement properties)
    {
        _hot?.Add(seq, eventName, timestamp, properties);
        foreach (var feature in _catalog.FeaturesFor(eventName))
        {
            var aggregate = Usage.Features[feature.Id];
            // Events logged before the feature existed may lack its field: they do not feed it.
            if (seq > aggregate.ThroughSeq && feature.Accepts(properties) && PropertyReader.TryRead(properties, feature, out var input, out _))
            {
                Aggregator.Apply(aggregate, feature.Aggregation, seq, timestamp, input);
            }
        }
    }

    private void SetThroughSeq()
    {
        foreach (var feature in _catalog.Features)
        {
            Usage.Features[feature.Id].ThroughSeq = Usage.LastSeq;
        }
    }

    private async Task CheckpointIfDirtyAsync(CancellationToken cancellationToken)
    {
        // The timer also keeps the in-memory events bounded by the period while only ingestion arrives.
        _hot?.Advance(time.GetUtcNow().UtcDateTime - options.Value.HotPeriod);
        if (_sinceCheckpoint > 0)
        {
            await CheckpointAsync(cancellationToken);
        }
    }

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            await state.WriteStateAsync(cancellationToken);
            _sinceCheckpoint = 0;
        }
        catch (InconsistentStateException)
        {
            // Another activation checkpointed this customer (possible while a cluster's membership
            // settles). Its checkpoint is a consistent projection of the log up to its position:
            // take it, with its version, and replay the log after it. Nothing is counted twice
            // (replay starts after the checkpoint's position) and nothing is lost (the log has all).
            logger.LogWarning("Customer {Tenant}/{Customer}: checkpoint conflict at position {Seq}; reloading the checkpoint and replaying the log",
                _tenantId, _externalId, Usage.LastSeq);
            await ReloadAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // A failed checkpoint loses nothing (the log is the truth); try again later.
            logger.LogWarning(ex, "Customer {Tenant}/{Customer}: checkpoint failed", _tenantId, _externalId);
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await state.ReadStateAsync(cancellationToken);
            _sinceCheckpoint = 0;
            await CatchUpAsync(_catalog, cancellationToken);
        }
        catch (Exception ex)
        {
            // The in-memory copy may now be half reloaded: let the next activation rebuild it.
            logger.LogWarning(ex, "Customer {Tenant}/{Customer}: reload after a checkpoint conflict failed; deactivating", _tenantId, _externalId);
            DeactivateOnIdle();
        }
    }

    // Made once: GetGrain works out the interface's type name on every call.
    private ITenantCatalogGrain Catalog() => _catalogGrain ??= GrainFactory.GetGrain<ITenantCatalogGrain>(_tenantId);

    /// <summary>Refuses the batch when an event names a customer id (<c>cust_…</c>) that is not this customer's.</summary>
    private IngestResult? OtherCustomer(IngestBatch batch)
    {
        foreach (var e in batch.Events)
        {
            if (e.CustomerId is { } given && !string.Equals(given, _customer!.Id, StringComparison.Ordinal))
            {
                return new IngestResult(true, [.. Enumerable.Repeat(EventOutcome.Refused, batch.Events.Length)],
                    $"customer_id '{(given.Length <= 64 ? given : given[..64] + "…")}' is not the customer with external_customer_id '{(_externalId.Length <= 64 ? _externalId : _externalId[..64] + "…")}'");
            }
        }

        return null;
    }

    private static IngestResult NotFound(IngestBatch batch) => new(false, [.. new EventOutcome[batch.Events.Length]]);
}

public static class StorageNames
{
    /// <summary>The ADO.NET grain storage that holds customer checkpoints.</summary>
    public const string Checkpoints = "checkpoints";
}
