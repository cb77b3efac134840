using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Flexprice.Grains.Ingestion;
using Flexprice.Grains.Projection;
using Flexprice.Grains.State;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Flexprice.Grains;

/// <summary>
/// The heart of ingestion, and its concurrency story. The event log is the truth and the customer's
/// <see cref="CustomerProjection"/> a checkpointed fold of it: this grain decides which events of the requests it
/// is given are new (<see cref="IdempotencyRule"/>), appends those to the log through the silo's group-commit
/// writer, folds only the rows really inserted, and answers. Checkpoints go through Orleans grain storage every N
/// events or T seconds; on activation the grain loads the checkpoint and replays the log after it, so a crash
/// between append and checkpoint loses nothing.
/// </summary>
public sealed class CustomerGrain(
    [PersistentState("usage", StorageNames.Checkpoints)] IPersistentState<CustomerUsageState> state,
    CustomerEventLog log,
    EventLogWriter writer,
    CustomerStore customers,
    DistinctValues distinct,
    HotEventsBudget hotBudget,
    RecentIdsBudget recentBudget,
    IOptions<CustomerGrainOptions> options,
    TimeProvider time,
    ILogger<CustomerGrain> logger) : Grain, ICustomerGrain
{
    private const int MaxAppendAttempts = 3;

    // Its state is the checkpoint Orleans loads at activation (and again after a checkpoint conflict).
    private readonly CustomerProjection _projection = new(new CustomerUsageState(), new RecentEventIds(options.Value.RecentEventIds, recentBudget));
    private string _tenantId = "";
    private string _externalId = "";
    private CustomerRecord? _customer;
    private int _sinceCheckpoint;
    private ITenantCatalogGrain? _catalogGrain;
    private IGrainTimer? _backgroundCatchUp;

    // True while the log is being read into the aggregates: they are half-updated, and an
    // interleaved usage query must wait for its turn instead of reading them.
    private bool _catchingUp;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_tenantId, _externalId) = CustomerKey.Parse(this.GetPrimaryKeyString());
        _projection.State = state.State;
        if (await EnsureCustomerAsync(cancellationToken))
        {
            await CatchUpAsync(await Catalog().GetSnapshot(), cancellationToken);
            await CountDistinctAsync(cancellationToken);
        }

        // The first tick at a random point of the first interval, so that grains activated together
        // (a bulk reaching thousands of customers) do not checkpoint together ever after, and spread
        // nearly evenly from the start (after its first tenth): the silo writes about as many checkpoints
        // a second in its first interval as later, and none in a grain's first moments.
        var interval = options.Value.CheckpointInterval;
        this.RegisterGrainTimer(CheckpointIfDirtyAsync, interval * (0.1 + 0.9 * Random.Shared.NextDouble()), interval);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _projection.Hot?.Release();
        try
        {
            await CheckpointIfDirtyAsync(cancellationToken);
        }
        finally
        {
            _projection.Recent.Release();
        }
    }

    public async Task<IngestResult> Ingest(IngestBatch batch) => (await IngestMany([batch]))[0];

    public async ValueTask<ImmutableArray<IngestResult>> IngestMany(ImmutableArray<IngestBatch> batches)
    {
        try
        {
            if (batches.IsEmpty)
            {
                return [];
            }

            if (!await PrepareAsync(NewestCatalogVersion(batches)))
            {
                return [.. batches.Select(NotFound)];
            }

            var results = new IngestResult?[batches.Length];
            var perAppend = batches.Length;
            var collisions = 0;
            var stored = false;
            while (Plan(batches, results, perAppend) is { Count: > 0 } plan)
            {
                AppendResult appended;
                try
                {
                    appended = await writer.AppendAsync(new AppendRequest(_tenantId, _externalId, _customer!.Id, plan.Events, _projection.State.LastSeq));
                }
                catch (Exception ex) when (stored)
                {
                    // The rows may or may not have been committed: the next append finds out (its positions are then
                    // taken), but until then memory is not the whole log. What this call stored before stays answered;
                    // the requests not yet decided are told to retry.
                    _projection.Doubt();
                    logger.LogWarning(ex, "Customer {Tenant}/{Customer}: an append failed after others of the same call were stored", _tenantId, _externalId);
                    for (var b = 0; b < batches.Length; b++)
                    {
                        results[b] ??= new IngestResult(true, [.. new EventOutcome[batches[b].Events.Length]], Unavailable: ex.Message);
                    }

                    break;
                }
                catch
                {
                    _projection.Doubt();
                    throw;
                }

                if (appended.Collided)
                {
                    // Another activation of this customer (possible while a cluster's membership settles) wrote after
                    // our position, or raced on one of these ids: nothing of ours was stored. Read what it wrote, then
                    // decide again after it.
                    if (++collisions == MaxAppendAttempts)
                    {
                        throw new InvalidOperationException($"Customer {_tenantId}/{_externalId}: the event log kept moving past position {_projection.State.LastSeq}; giving up after {collisions} attempts (with no other activation writing, its head in event_log_heads may be missing: see event_log_heads_advance in the schema)");
                    }

                    logger.LogWarning("Customer {Tenant}/{Customer}: another writer logged after position {Seq}; catching up", _tenantId, _externalId, _projection.State.LastSeq);
                    await CatchUpAsync(_projection.Catalog, CancellationToken.None);
                    continue;
                }

                if (appended.Refused is { } refused)
                {
                    if (plan.Parts.Count > 1)
                    {
                        // One of them holds values PostgreSQL refuses: from now on each request goes alone, so only its own fails.
                        perAppend = 1;
                        continue;
                    }

                    var part = plan.Parts[0];
                    results[part.Batch] = new IngestResult(true, [.. part.Outcomes.Select((o, i) => part.Pending.Contains(i) ? EventOutcome.Refused : o)], refused);
                    continue;
                }

                if (Conflicts(appended, plan) is { Count: > 0 } conflicted)
                {
                    // The log holds some of these ids with another payload: nothing was stored. Those requests are refused;
                    // the others go again without them.
                    foreach (var part in conflicted)
                    {
                        results[part.Batch] = new IngestResult(true, ImmutableCollectionsMarshal.AsImmutableArray(Decide(part, batches[part.Batch], appended)));
                    }

                    continue;
                }

                if (appended.LastExistingSeq > _projection.State.LastSeq)
                {
                    // Some of these ids were logged past what this activation has folded, by another activation: fold the
                    // log after our position, which holds its events and ours.
                    await CatchUpAsync(_projection.Catalog, CancellationToken.None);
                }
                else
                {
                    Fold(appended, plan);
                }

                await TryStoreDistinctAsync();

                foreach (var e in plan.Events)
                {
                    _projection.Recent.Remember(e.EventId, e.Fingerprint);
                }

                stored = true;
                foreach (var part in plan.Parts)
                {
                    results[part.Batch] = new IngestResult(true, ImmutableCollectionsMarshal.AsImmutableArray(Decide(part, batches[part.Batch], appended)));
                }
            }

            if (_sinceCheckpoint >= options.Value.CheckpointEveryEvents)
            {
                await CheckpointAsync(CancellationToken.None);
            }

            // Every batch has its result by now; the array is this call's own, so it is handed out as it is.
            return ImmutableCollectionsMarshal.AsImmutableArray<IngestResult>(results!);
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(IngestMany)) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<IngestResult> Check(IngestBatch batch)
    {
        try
        {
            if (!await PrepareAsync(batch.CatalogVersion))
            {
                return NotFound(batch);
            }

            if (OtherCustomer(batch) is { } mismatch)
            {
                return mismatch;
            }

            var (outcomes, pending) = Classify(batch.Events, claimed: null);
            // Server-made ids are new by construction; a client's id not in memory may be in the log,
            // unless memory holds the whole log. (Another activation may be logging right now either
            // way; Ingest decides against the log itself.)
            var askLog = _projection.RecentIsWholeLog ? [] : pending.Where(i => batch.Events[i].EventIdGiven).Select(i => batch.Events[i].EventId).ToList();
            var stored = askLog.Count == 0
                ? []
                : await log.FindAsync(_tenantId, _externalId, askLog, CancellationToken.None);
            foreach (var index in pending)
            {
                var e = batch.Events[index];
                outcomes[index] = stored.TryGetValue(e.EventId, out var fingerprint) ? IdempotencyRule.Decide(fingerprint, e.Fingerprint) : EventOutcome.Accepted;
            }

            return new IngestResult(true, [.. outcomes]);
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(Check)) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Interleaved (see the interface): runs while another call of this grain may be suspended at
    /// an await. The aggregates are consistent at every such point except during a catch-up from
    /// the log, and an ingest folds its rows only after its commit and without awaiting, so what
    /// this reads holds every acknowledged event and no uncommitted one. Anything else (customer not
    /// loaded yet, catalog changed, catch-up running) is done in turn, through GetUsageInTurn.
    /// </summary>
    public async Task<CustomerUsage?> GetUsage(long catalogVersion)
    {
        try
        {
            if (_customer is null && !await EnsureCustomerAsync(CancellationToken.None))
            {
                // Unknown: answered here, not through a call in turn to this activation, which would wait for
                // its own deactivation (requested for unknown customers) until the call timed out.
                DeactivateOnIdle();
                return null;
            }

            if (_customer is not null && !_catchingUp && !_projection.HasPendingDistinct)
            {
                // The caller's version (pushed to its key by the catalog on every change) is usually one this activation
                // already has: answered without asking the catalog.
                var current = catalogVersion <= _projection.Catalog.Version ? _projection.Catalog.Version : (await Catalog().GetSnapshot()).Version;
                if (_customer is not null && !_catchingUp && current == _projection.Catalog.Version && !_projection.HasPendingDistinct)
                {
                    return _projection.Usage(_externalId);
                }
            }

            return await this.AsReference<ICustomerGrain>().GetUsageInTurn(catalogVersion);
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(GetUsage)) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<CustomerUsage?> GetUsageInTurn(long catalogVersion)
    {
        try
        {
            if (!await PrepareAsync(minimumCatalogVersion: catalogVersion))
            {
                return null;
            }

            await StoreDistinctAsync(CancellationToken.None);
            return _projection.Usage(_externalId);
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(GetUsageInTurn)) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<UsageQueryResult> QueryUsage(UsageQuery query)
    {
        try
        {
            if (!await PrepareAsync(minimumCatalogVersion: 0))
            {
                return new UsageQueryResult(false, null);
            }

            var hotFrom = time.GetUtcNow().UtcDateTime - options.Value.HotPeriod;
            if (_projection.Hot is null)
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
                    using var properties = System.Text.Json.JsonDocument.Parse(row.PropertiesJson);
                    hot.Add(row.Seq, row.EventName, row.Timestamp, properties.RootElement);
                }

                _projection.Hot = hot;
            }

            var held = _projection.Hot;
            held.Advance(hotFrom);
            if (query.Start < held.From)
            {
                return new UsageQueryResult(true, null);
            }

            var events = held.Range(query.Meter.EventName, query.Start, query.End).Select(e => new Aggregation.UsageEvent(e.Timestamp, e.Seq, e.Properties));
            return new UsageQueryResult(true, Aggregation.UsageCalculator.Compute(query.Meter, Aggregation.UsageCalculator.RangeOf(query), events));
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(QueryUsage)) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// What goes into the next append: the events of the undecided batches that memory cannot decide, at most
    /// <paramref name="perAppend"/> batches. A batch that reuses an id an earlier batch of this call takes waits for a
    /// later append (by then memory knows whether the earlier one was stored); a batch refused from memory (a conflict,
    /// another customer's id) gets its result now.
    /// </summary>
    private AppendPlan Plan(ImmutableArray<IngestBatch> batches, IngestResult?[] results, int perAppend)
    {
        var plan = new AppendPlan(Math.Min(batches.Length, perAppend), batches.Length == 1 ? batches[0].Events.Length : 0);
        // Only a call of several requests can have one take an id another needs.
        var claimed = batches.Length > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (var b = 0; b < batches.Length && plan.Parts.Count < perAppend; b++)
        {
            if (results[b] is not null)
            {
                continue;
            }

            var batch = batches[b];
            if (OtherCustomer(batch) is { } mismatch)
            {
                results[b] = mismatch;
                continue;
            }

            if (claimed is not null && AnyClaimed(batch.Events, claimed))
            {
                continue;
            }

            var (outcomes, pending) = Classify(batch.Events, claimed);
            if (outcomes.Contains(EventOutcome.Conflict) || pending.Count == 0)
            {
                results[b] = new IngestResult(true, [.. outcomes]);
                continue;
            }

            plan.Parts.Add(new AppendPart(b, outcomes, pending, batch.CatalogVersion));
            foreach (var index in pending)
            {
                plan.Events.Add(batch.Events[index]);
            }
        }

        return plan;
    }

    /// <summary>
    /// Splits a batch into events answered from memory (repeats within the batch, recently seen ids) and the
    /// indexes of events the log must decide; <paramref name="claimed"/> takes the ids of the latter.
    /// </summary>
    private (EventOutcome[] Outcomes, List<int> Pending) Classify(ImmutableArray<IngestEvent> events, HashSet<string>? claimed)
    {
        var outcomes = new EventOutcome[events.Length];
        var pending = new List<int>(events.Length);
        // A single event cannot repeat one of its batch.
        var firstIndex = events.Length > 1 ? new Dictionary<string, int>(events.Length, StringComparer.Ordinal) : null;
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            if (firstIndex is not null)
            {
                if (firstIndex.TryGetValue(e.EventId, out var first))
                {
                    outcomes[i] = IdempotencyRule.Decide(events[first].Fingerprint, e.Fingerprint);
                    continue;
                }

                firstIndex[e.EventId] = i;
            }

            if (_projection.Recent.TryCompare(e.EventId, e.Fingerprint, out var same))
            {
                outcomes[i] = IdempotencyRule.Decide(same);
            }
            else
            {
                pending.Add(i);
                claimed?.Add(e.EventId);
            }
        }

        return (outcomes, pending);
    }

    /// <summary>The parts of the plan whose ids the log holds with another payload (the append then stored nothing).</summary>
    private static List<AppendPart> Conflicts(AppendResult appended, AppendPlan plan)
    {
        var conflicted = new List<AppendPart>();
        var offset = 0;
        foreach (var part in plan.Parts)
        {
            for (var k = 0; k < part.Pending.Count; k++)
            {
                var e = plan.Events[offset + k];
                if (appended.Existing.TryGetValue(e.EventId, out var stored) && IdempotencyRule.Decide(stored, e.Fingerprint) == EventOutcome.Conflict)
                {
                    conflicted.Add(part);
                    break;
                }
            }

            offset += part.Pending.Count;
        }

        return conflicted;
    }

    /// <summary>A part's outcomes once the log has decided its pending events.</summary>
    private static EventOutcome[] Decide(AppendPart part, IngestBatch batch, AppendResult appended)
    {
        var outcomes = part.Outcomes.ToArray();
        foreach (var index in part.Pending)
        {
            var e = batch.Events[index];
            outcomes[index] = appended.Existing.TryGetValue(e.EventId, out var stored)
                ? IdempotencyRule.Decide(stored, e.Fingerprint)
                // Not stored before: inserted now, or (when a conflict stopped the statement) what would have been, which is what Check answers.
                : EventOutcome.Accepted;
        }

        return outcomes;
    }

    /// <summary>Folds the rows the append inserted, each with the inputs read at the door for its request's catalog version.</summary>
    private void Fold(AppendResult appended, AppendPlan plan)
    {
        var offset = 0;
        foreach (var part in plan.Parts)
        {
            for (var k = 0; k < part.Pending.Count; k++)
            {
                var e = plan.Events[offset + k];
                if (appended.Inserted is InsertedInOrder inOrder)
                {
                    // plan.Events is the request the append was given: its positions follow from the index.
                    _projection.Append(inOrder.At(offset + k), e, part.CatalogVersion);
                }
                else if (appended.Inserted.TryGetValue(e.EventId, out var seq))
                {
                    _projection.Append(seq, e, part.CatalogVersion);
                }
            }

            offset += part.Pending.Count;
        }

        _projection.SetThroughSeq();
        _sinceCheckpoint += appended.Inserted.Count;
    }

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

        if (minimumCatalogVersion > _projection.Catalog.Version)
        {
            var snapshot = await Catalog().GetSnapshot();
            if (snapshot.Version != _projection.Catalog.Version)
            {
                await CatchUpAsync(snapshot, CancellationToken.None);
            }
        }

        return true;
    }

    private async Task<bool> EnsureCustomerAsync(CancellationToken cancellationToken)
    {
        _customer ??= await customers.FindCustomerByExternalIdAsync(_tenantId, _externalId, cancellationToken);
        return _customer is not null;
    }

    /// <summary>
    /// Brings the features of <paramref name="snapshot"/> up to the end of the log: replays what follows the
    /// checkpoint now, and starts the background catch-up of a feature this customer has not seen before.
    /// </summary>
    private async Task CatchUpAsync(CatalogSnapshot snapshot, CancellationToken cancellationToken)
    {
        var from = _projection.Adopt(snapshot);
        if (_projection.IsCatchingUp)
        {
            // A feature new to this customer reads the earlier log in the background, a chunk per turn, so that
            // ingestion goes on meanwhile (each request waits at most for one chunk).
            _backgroundCatchUp ??= this.RegisterGrainTimer(CatchUpChunkAsync, TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
        }

        var replayed = 0;
        _catchingUp = true;
        try
        {
            await foreach (var row in log.ReadAsync(_tenantId, _externalId, from, cancellationToken))
            {
                _projection.Replay(row);
                replayed++;
            }

            _projection.ReplayedFrom(from);
            await StoreDistinctAsync(cancellationToken);
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

    /// <summary>One turn of the background catch-up: a chunk of the log folded into the features still catching up.</summary>
    private async Task CatchUpChunkAsync(CancellationToken cancellationToken)
    {
        if (_projection.IsCatchingUp && !_catchingUp)
        {
            var read = 0;
            await foreach (var row in log.ReadAsync(_tenantId, _externalId, _projection.CatchUpFrom, options.Value.CatchUpChunkEvents, cancellationToken))
            {
                _projection.CatchUp(row);
                read++;
            }

            // No append ran during the chunk (this is a turn of its own): the log ends at LastSeq.
            _projection.CaughtUp(logEnded: read < options.Value.CatchUpChunkEvents);
            _sinceCheckpoint += read;
            await StoreDistinctAsync(cancellationToken);
        }

        if (!_projection.IsCatchingUp)
        {
            _backgroundCatchUp?.Dispose();
            _backgroundCatchUp = null;
            logger.LogInformation("Customer {Tenant}/{Customer}: every feature has caught up with the log", _tenantId, _externalId);
        }
    }

    /// <summary>
    /// Hands the COUNT_UNIQUE values folded since the last call to the distinct-value store, whose answer (new or not)
    /// moves the counts. Throws when the database fails, the values kept for the next call.
    /// </summary>
    private async Task StoreDistinctAsync(CancellationToken cancellationToken)
    {
        if (!_projection.HasPendingDistinct)
        {
            return;
        }

        var values = _projection.TakeDistinct();
        try
        {
            _projection.DistinctAdded(await distinct.AddAsync(_tenantId, _externalId, values, cancellationToken));
        }
        catch
        {
            _projection.ReturnDistinct(values);
            throw;
        }
    }

    /// <summary>After an append: the events are logged, so a failure here only delays the counts (usage reads store first).</summary>
    private async Task TryStoreDistinctAsync()
    {
        try
        {
            await StoreDistinctAsync(CancellationToken.None);
        }
        catch (Exception ex) when (StorageFaults.IsTransient(ex))
        {
            logger.LogWarning(ex, "Customer {Tenant}/{Customer}: distinct values not stored yet; the next usage read or checkpoint retries", _tenantId, _externalId);
        }
    }

    /// <summary>The counts of distinct values from the store, where they are exact whatever earlier activations did.</summary>
    private async Task CountDistinctAsync(CancellationToken cancellationToken)
    {
        if (_projection.Catalog.Features.Any(f => f.Meter.Aggregation == AggregationType.CountUnique))
        {
            _projection.DistinctCounted(await distinct.CountAsync(_tenantId, _externalId, cancellationToken));
        }
    }

    private async Task CheckpointIfDirtyAsync(CancellationToken cancellationToken)
    {
        // The timer also keeps the in-memory events bounded by the period while only ingestion arrives.
        _projection.Hot?.Advance(time.GetUtcNow().UtcDateTime - options.Value.HotPeriod);
        if (_sinceCheckpoint > 0)
        {
            await CheckpointAsync(cancellationToken);
        }
    }

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A checkpoint covers only events whose distinct values are stored: the replay after it would not add them.
            await StoreDistinctAsync(cancellationToken);
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
                _tenantId, _externalId, _projection.State.LastSeq);
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
            _projection.State = state.State;
            _sinceCheckpoint = 0;
            await CatchUpAsync(_projection.Catalog, cancellationToken);
            await CountDistinctAsync(cancellationToken);
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

    private static long NewestCatalogVersion(ImmutableArray<IngestBatch> batches)
    {
        var newest = long.MinValue;
        foreach (var batch in batches)
        {
            newest = Math.Max(newest, batch.CatalogVersion);
        }

        return newest;
    }

    private static bool AnyClaimed(ImmutableArray<IngestEvent> events, HashSet<string> claimed)
    {
        foreach (var e in events)
        {
            if (claimed.Contains(e.EventId))
            {
                return true;
            }
        }

        return false;
    }

    private static IngestResult NotFound(IngestBatch batch) => new(false, [.. new EventOutcome[batch.Events.Length]]);

    /// <summary>One request's part of an append: its batch, its outcomes so far, the indexes the log decides, its catalog version.</summary>
    private sealed record AppendPart(int Batch, EventOutcome[] Outcomes, List<int> Pending, long CatalogVersion);

    /// <summary>The requests of the next append and their pending events, in order.</summary>
    private sealed class AppendPlan(int parts, int events)
    {
        public List<AppendPart> Parts { get; } = new(parts);

        public List<IngestEvent> Events { get; } = new(events);

        public int Count => Parts.Count;
    }
}

public static class StorageNames
{
    /// <summary>The ADO.NET grain storage that holds customer checkpoints.</summary>
    public const string Checkpoints = "checkpoints";
}
