using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>One partition of the event log: its table and the event times it holds, [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record EventLogPartition(string Name, DateTime? From, DateTime To, bool Attached);

/// <summary>
/// The event log's time partitions (<c>events_pYYYYMMDD</c> per UTC day, <c>events_before</c> for events older than the
/// log's first daily partition): which exist, and making those an append needs before it runs. An append whose event
/// times all fall in known partitions costs no database call here; a day not seen yet is made (by the schema's
/// <c>events_ensure_partitions</c>, safe from many silos at once) and remembered.
/// </summary>
public sealed class EventLogPartitions(FlexpriceDatabase database)
{
    public const string BeforeName = "events_before";
    private const string DailyPrefix = "events_p";

    private volatile Known? _known;

    /// <summary>Makes sure every given time has a partition (a day older than the daily partitions goes to <see cref="BeforeName"/>).</summary>
    public async ValueTask EnsureAsync(IEnumerable<DateTime> times, CancellationToken cancellationToken)
    {
        // In any order: a run of one day is looked up once, every other time is one set lookup.
        var known = _known ?? await LoadAsync(cancellationToken);
        List<DateTime>? missing = null;
        DateOnly? last = null;
        foreach (var time in times)
        {
            var day = DateOnly.FromDateTime(time);
            if (day == last || time < known.DailyFrom || known.Days.Contains(day))
            {
                last = day;
                continue;
            }

            (missing ??= []).Add(time);
            last = day;
        }

        if (missing is null)
        {
            return;
        }

        await using var command = database.DataSource.CreateCommand("SELECT events_ensure_partitions(@times)");
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. missing.Distinct()] });
        await command.ExecuteNonQueryAsync(cancellationToken);
        await LoadAsync(cancellationToken);
    }

    /// <summary>Forgets what is known, so that the next append looks again (after a partition was dropped).</summary>
    public void Invalidate() => _known = null;

    /// <summary>The start of the log's daily partitions and, once retention dropped some, the time before which every event is gone.</summary>
    public async Task<(DateTime DailyFrom, DateTime? RetainedFrom)> SettingsAsync(CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT daily_from, retained_from FROM event_log_settings");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("event_log_settings is empty: the schema was not applied");
        }

        return (Utc(reader.GetFieldValue<DateTime>(0)), reader.IsDBNull(1) ? null : Utc(reader.GetFieldValue<DateTime>(1)));
    }

    /// <summary>
    /// Every partition table of the log, oldest first: attached ones, and daily tables a retention run detached
    /// but did not drop yet (<see cref="EventLogPartition.Attached"/> false).
    /// </summary>
    public async Task<List<EventLogPartition>> ListAsync(CancellationToken cancellationToken)
    {
        var (dailyFrom, _) = await SettingsAsync(cancellationToken);
        await using var command = database.DataSource.CreateCommand("""
            SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = 'public.events'::regclass AND NOT i.inhdetachpending)
            FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND (c.relname = @before OR c.relname ~ '^events_p[0-9]{8}$')
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("before", BeforeName));
        var partitions = new List<EventLogPartition>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            var attached = reader.GetBoolean(1);
            partitions.Add(name == BeforeName
                ? new EventLogPartition(name, null, dailyFrom, attached)
                : new EventLogPartition(name, DayOf(name), DayOf(name).AddDays(1), attached));
        }

        return [.. partitions.OrderBy(p => p.To)];
    }

    /// <summary>The first instant of the day a daily partition's name gives.</summary>
    public static DateTime DayOf(string name) =>
        DateTime.SpecifyKind(DateTime.ParseExact(name[DailyPrefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture), DateTimeKind.Utc);

    private async Task<Known> LoadAsync(CancellationToken cancellationToken)
    {
        var (dailyFrom, _) = await SettingsAsync(cancellationToken);
        var days = new HashSet<DateOnly>();
        foreach (var partition in await ListAsync(cancellationToken))
        {
            if (partition.Attached && partition.From is { } from)
            {
                days.Add(DateOnly.FromDateTime(from));
            }
        }

        var known = new Known(dailyFrom, days);
        _known = known;
        return known;
    }

    private static DateTime Utc(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc);

    private sealed record Known(DateTime DailyFrom, HashSet<DateOnly> Days);
}
