using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>What one maintenance run did: partitions made ahead, and partitions retention archived and dropped.</summary>
public sealed record EventLogMaintenanceReport(IReadOnlyList<string> Made, IReadOnlyList<string> Dropped, IReadOnlyList<string> Archived);

/// <summary>
/// The event log's upkeep, run by every silo every <see cref="EventLogRetentionOptions.MaintenanceInterval"/> (idempotent,
/// so silos may overlap): partitions for today and the next <see cref="EventLogRetentionOptions.PartitionsAhead"/> days, and,
/// with <see cref="EventLogRetentionOptions.Days"/> set, the drop of every partition whose events are all older than that.
/// </summary>
public sealed class EventLogMaintenance(
    FlexpriceDatabase database, EventLogPartitions partitions, IOptions<EventLogRetentionOptions> options, ILogger<EventLogMaintenance> logger)
{
    // Idempotency keys of a dropped partition are deleted this many at a time, each batch its own transaction.
    private const int DeleteBatch = 10_000;

    public async Task<EventLogMaintenanceReport> RunAsync(DateTime now, CancellationToken cancellationToken)
    {
        var ahead = Enumerable.Range(0, options.Value.PartitionsAhead + 1).Select(d => now.AddDays(d)).ToArray();
        await using var command = database.DataSource.CreateCommand("SELECT events_ensure_partitions(@times)");
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = ahead });
        var made = (string[])(await command.ExecuteScalarAsync(cancellationToken))!;
        foreach (var name in made)
        {
            logger.LogInformation("Event log: made partition {Partition} ahead", name);
        }

        var dropped = new List<string>();
        var archived = new List<string>();
        if (options.Value.RetainedFrom(now) is { } retainedFrom)
        {
            // Partitions are contiguous ranges, oldest first: every one that ends by retainedFrom goes. When all of
            // them went (none kept by a failed archive) and none left starts before it, the log holds no event before
            // retainedFrom (and appends older than a day after it are refused): usage from the log says so from then on.
            var complete = true;
            foreach (var partition in await partitions.ListAsync(cancellationToken))
            {
                if (partition.To > retainedFrom)
                {
                    complete &= partition.From is { } from && from >= retainedFrom;
                    break;
                }

                if (await DropAsync(partition, archived, cancellationToken))
                {
                    dropped.Add(partition.Name);
                }
                else
                {
                    complete = false;
                    break;
                }
            }

            if (complete)
            {
                await MarkRetainedFromAsync(retainedFrom, cancellationToken);
            }

            if (dropped.Count > 0)
            {
                partitions.Invalidate();
            }
        }

        return new EventLogMaintenanceReport(made, dropped, archived);
    }

    /// <summary>
    /// Archives (when configured), then: records that events before the partition's end are gone, detaches it
    /// concurrently (appends and reads go on), deletes its events' idempotency keys, drops it. A run that stops
    /// half way is finished by the next (a detached table is still listed, and its rows say which keys to delete).
    /// </summary>
    private async Task<bool> DropAsync(EventLogPartition partition, List<string> archived, CancellationToken cancellationToken)
    {
        if (options.Value.ArchiveDirectory is { Length: > 0 } directory && partition.Attached)
        {
            try
            {
                var file = await EventLogArchive.ExportAsync(database, partition.Name, directory, cancellationToken);
                archived.Add(file);
                logger.LogInformation("Event log: archived partition {Partition} to {File}", partition.Name, file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NpgsqlException)
            {
                logger.LogError(ex, "Event log: archiving partition {Partition} failed; it is kept until an archive succeeds", partition.Name);
                return false;
            }
        }

        await MarkRetainedFromAsync(partition.To, cancellationToken);
        if (partition.Attached)
        {
            // Not inside a transaction block, by PostgreSQL's rule for CONCURRENTLY. A detach an earlier run began
            // and did not end shows as attached with detach pending: FINALIZE ends it.
            var pending = await ScalarAsync<bool>(
                "SELECT coalesce((SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(@name)), false)",
                cancellationToken, new NpgsqlParameter<string>("name", "public." + partition.Name));
            await ExecuteAsync($"ALTER TABLE public.events DETACH PARTITION public.{Quote(partition.Name)} {(pending ? "FINALIZE" : "CONCURRENTLY")}", cancellationToken);
        }

        long deleted = 0, batch;
        do
        {
            // The detached rows name the keys to delete; taking both away together lets a stopped run continue.
            batch = await ScalarAsync<long>($"""
                WITH gone AS (
                    DELETE FROM public.{Quote(partition.Name)} e
                    WHERE e.ctid = ANY (ARRAY(SELECT ctid FROM public.{Quote(partition.Name)} LIMIT {DeleteBatch}))
                    RETURNING e.tenant_id, e.event_id, e.external_customer_id
                ), keys AS (
                    DELETE FROM event_ids k USING gone
                    WHERE k.tenant_id = gone.tenant_id AND k.event_id = gone.event_id AND k.external_customer_id = gone.external_customer_id
                )
                SELECT count(*) FROM gone
                """, cancellationToken);
            deleted += batch;
        }
        while (batch == DeleteBatch);

        await ExecuteAsync($"DROP TABLE public.{Quote(partition.Name)}", cancellationToken);
        logger.LogInformation("Event log: dropped partition {Partition} (events before {To:o}), {Events} events and their idempotency keys",
            partition.Name, partition.To, deleted);
        return true;
    }

    /// <summary>Records that the log holds no event before <paramref name="time"/> (it only ever moves later).</summary>
    private Task MarkRetainedFromAsync(DateTime time, CancellationToken cancellationToken) => ExecuteAsync(
        "UPDATE event_log_settings SET retained_from = greatest(coalesce(retained_from, @to), @to)",
        cancellationToken,
        new NpgsqlParameter<DateTime>("to", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(time, DateTimeKind.Utc) });

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        command.Parameters.AddRange(parameters);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
