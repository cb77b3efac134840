using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Bench;

/// <summary>
/// The physical limit of durable ingest on this machine: event rows like the project's written
/// straight to PostgreSQL, into tables with the same columns, keys and indexes as a partition of
/// <c>events</c> and as <c>event_ids</c> (<c>LIKE … INCLUDING ALL</c>), each row's id deduplicated by
/// the ids table's primary key, each statement committed durably (the server's synchronous_commit).
/// 1000 rows per statement over 2 connections. The tables are emptied before the first run only, so
/// that they grow from run to run about as fast as the log does (each writes ~1M rows per run): a
/// baseline measured against an empty table every run would compare cached indexes with the
/// project's full ones. What the project does beyond this: each customer's position (its head).
/// </summary>
public sealed class RawIngest(string connectionString, int customers)
{
    public const int RowsPerStatement = 1000;
    public const int Connections = 2;
    private const string Table = "bench_raw_events";
    private const string IdsTable = "bench_raw_ids";
    private const string Columns = "tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at";
    private const string StagingColumns = "tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at, fingerprint";

    private readonly long[] _seq = new long[customers];
    private readonly string _tenant = "tenant_" + Ulid();

    /// <summary>Removes the table (at the end of the last run).</summary>
    public async Task DropAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS {Table}, {IdsTable}", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {Table}, {IdsTable};
            CREATE TABLE {Table} (LIKE events INCLUDING ALL);
            CREATE TABLE {IdsTable} (LIKE event_ids INCLUDING ALL);
            """, connection);
        await command.ExecuteNonQueryAsync();
        Array.Clear(_seq);
    }

    /// <summary>(a) ids <c>INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING</c>, then the rows whose id was new: one round trip, duplicates skipped.</summary>
    public Task<double> InsertOnConflictAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await using var command = new NpgsqlCommand($"""
            WITH u AS (
                SELECT * FROM unnest(@tenants, @customers, @seqs, @ids, @names, @times, @properties, @fingerprints)
                    AS u(tenant_id, customer, seq, event_id, event_name, event_time, properties, fingerprint)
            ), fresh AS (
                INSERT INTO {IdsTable} (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
                SELECT tenant_id, event_id, customer, seq, event_time, fingerprint FROM u
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, event_id, external_customer_id
            )
            INSERT INTO {Table} ({Columns})
            SELECT u.tenant_id, u.customer, u.seq, u.event_id, u.event_name, NULL, u.event_time, u.properties::json, now()
            FROM u JOIN fresh f ON f.tenant_id = u.tenant_id AND f.event_id = u.event_id AND f.external_customer_id = u.customer
            RETURNING event_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("tenants", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Tenant)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Customer)] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(r => r.Seq)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.EventId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.EventName)] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. rows.Select(r => r.Time)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("properties", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Properties)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("fingerprints", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = [.. rows.Select(r => r.Fingerprint)] });
        var inserted = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            inserted++;
        }

        return inserted;
    });

    /// <summary>(b) Binary COPY into a staging table, then the same deduplicating inserts from it, one transaction per batch.</summary>
    public Task<double> CopyThenInsertAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS staging (LIKE {Table}, fingerprint bytea) ON COMMIT DELETE ROWS", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var transaction = await connection.BeginTransactionAsync();
        await CopyAsync(connection, "staging", StagingColumns, rows, fingerprint: true);
        await using var command = new NpgsqlCommand($"""
            WITH fresh AS (
                INSERT INTO {IdsTable} (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
                SELECT tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint FROM staging
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, event_id, external_customer_id
            )
            INSERT INTO {Table} ({Columns})
            SELECT {string.Join(", ", Columns.Split(", ").Select(c => "s." + c))}
            FROM staging s JOIN fresh f ON f.tenant_id = s.tenant_id AND f.event_id = s.event_id AND f.external_customer_id = s.external_customer_id
            RETURNING event_id
            """, connection, transaction);
        var inserted = 0;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                inserted++;
            }
        }

        await transaction.CommitAsync();
        return inserted;
    });

    /// <summary>(c) Plain binary COPY into the events table alone: no deduplication at all, for context.</summary>
    public Task<double> PlainCopyAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await CopyAsync(connection, Table, Columns, rows, fingerprint: false);
        return rows.Length;
    });

    private static async Task CopyAsync(NpgsqlConnection connection, string table, string columns, Row[] rows, bool fingerprint)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)");
        var now = DateTime.UtcNow;
        foreach (var r in rows)
        {
            await copy.StartRowAsync();
            await copy.WriteAsync(r.Tenant, NpgsqlDbType.Text);
            await copy.WriteAsync(r.Customer, NpgsqlDbType.Text);
            await copy.WriteAsync(r.Seq, NpgsqlDbType.Bigint);
            await copy.WriteAsync(r.EventId, NpgsqlDbType.Text);
            await copy.WriteAsync(r.EventName, NpgsqlDbType.Text);
            await copy.WriteNullAsync();
            await copy.WriteAsync(r.Time, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(r.Properties, NpgsqlDbType.Json);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
            if (fingerprint)
            {
                await copy.WriteAsync(r.Fingerprint, NpgsqlDbType.Bytea);
            }
        }

        await copy.CompleteAsync();
    }

    /// <summary>Rows per second committed over the measured window, after a warm-up.</summary>
    private async Task<double> RunAsync(TimeSpan warmUp, TimeSpan duration, Func<NpgsqlConnection, Row[], Task<int>> write)
    {
        long rows = 0;
        var measureFrom = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(worker => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var random = new Random(worker);
            while (Stopwatch.GetTimestamp() < end)
            {
                var batch = NextBatch(random);
                var written = await write(connection, batch);
                if (Stopwatch.GetTimestamp() >= measureFrom)
                {
                    Interlocked.Add(ref rows, written);
                }
            }
        })));
        return rows / Stopwatch.GetElapsedTime(measureFrom).TotalSeconds;
    }

    private Row[] NextBatch(Random random)
    {
        var rows = new Row[RowsPerStatement];
        var now = DateTime.UtcNow;
        for (var i = 0; i < rows.Length; i++)
        {
            var customer = random.Next(_seq.Length);
            var fingerprint = new byte[32];
            random.NextBytes(fingerprint);
            rows[i] = new Row(
                _tenant,
                "c" + customer,
                Interlocked.Increment(ref _seq[customer]),
                "event_" + Ulid(),
                "bench.f" + random.Next(5),
                now,
                "{\"credits\":" + random.Next(1, 100) + "}",
                fingerprint);
        }

        return rows;
    }

    /// <summary>26 characters, like the project's ULID ids.</summary>
    private static string Ulid() => Convert.ToHexString(RandomNumberGenerator.GetBytes(13));

    private sealed record Row(string Tenant, string Customer, long Seq, string EventId, string EventName, DateTime Time, string Properties, byte[] Fingerprint);
}
