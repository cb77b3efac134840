using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Bench;

/// <summary>
/// The physical limit of durable ingest on this machine: event rows like the project's written
/// straight to PostgreSQL, into a table with the same keys and indexes as <c>events</c>
/// (<c>LIKE events INCLUDING ALL</c>), each statement committed durably (the server's
/// synchronous_commit). 1000 rows per statement over 2 connections. The table is emptied before
/// the first run only, so that it grows from run to run about as fast as <c>events</c> does (each
/// writes ~1M rows per run): a baseline measured against an empty table every run would compare
/// cached indexes with the project's full ones.
/// </summary>
public sealed class RawIngest(string connectionString, int customers)
{
    public const int RowsPerStatement = 1000;
    public const int Connections = 2;
    private const string Table = "bench_raw_events";
    private const string Columns = "tenant_id, external_customer_id, customer_seq, event_id, event_name, customer_id, source, event_time, properties, fingerprint, ingested_at";

    private readonly long[] _seq = new long[customers];
    private readonly string _tenant = "tenant_" + Ulid();

    /// <summary>Removes the table (at the end of the last run).</summary>
    public async Task DropAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS {Table}", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (LIKE events INCLUDING ALL)", connection);
        await command.ExecuteNonQueryAsync();
        Array.Clear(_seq);
    }

    /// <summary>(a) <c>INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING</c>: one round trip, duplicates skipped.</summary>
    public Task<double> InsertOnConflictAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} ({Columns})
            SELECT u.tenant_id, u.customer, u.seq, u.event_id, u.event_name, u.customer_id, NULL, u.event_time, u.properties::json, u.fingerprint, now()
            FROM unnest(@tenants, @customers, @seqs, @ids, @names, @customer_ids, @times, @properties, @fingerprints)
                AS u(tenant_id, customer, seq, event_id, event_name, customer_id, event_time, properties, fingerprint)
            ON CONFLICT DO NOTHING
            RETURNING event_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("tenants", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Tenant)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Customer)] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(r => r.Seq)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.EventId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.EventName)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.CustomerId)] });
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

    /// <summary>(b) Binary COPY into a staging table, then <c>INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING</c>, one transaction per batch.</summary>
    public Task<double> CopyThenInsertAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS staging (LIKE {Table}) ON COMMIT DELETE ROWS", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var transaction = await connection.BeginTransactionAsync();
        await CopyAsync(connection, "staging", rows);
        await using var command = new NpgsqlCommand($"INSERT INTO {Table} ({Columns}) SELECT {Columns} FROM staging ON CONFLICT DO NOTHING RETURNING event_id", connection, transaction);
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

    /// <summary>(c) Plain binary COPY into the table: no deduplication at all, for context.</summary>
    public Task<double> PlainCopyAsync(TimeSpan warmUp, TimeSpan duration) => RunAsync(warmUp, duration, async (connection, rows) =>
    {
        await CopyAsync(connection, Table, rows);
        return rows.Length;
    });

    private static async Task CopyAsync(NpgsqlConnection connection, string table, Row[] rows)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)");
        var now = DateTime.UtcNow;
        foreach (var r in rows)
        {
            await copy.StartRowAsync();
            await copy.WriteAsync(r.Tenant, NpgsqlDbType.Text);
            await copy.WriteAsync(r.Customer, NpgsqlDbType.Text);
            await copy.WriteAsync(r.Seq, NpgsqlDbType.Bigint);
            await copy.WriteAsync(r.EventId, NpgsqlDbType.Text);
            await copy.WriteAsync(r.EventName, NpgsqlDbType.Text);
            await copy.WriteAsync(r.CustomerId, NpgsqlDbType.Text);
            await copy.WriteNullAsync();
            await copy.WriteAsync(r.Time, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(r.Properties, NpgsqlDbType.Json);
            await copy.WriteAsync(r.Fingerprint, NpgsqlDbType.Bytea);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
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
                "cust_" + Ulid(),
                now,
                "{\"credits\":" + random.Next(1, 100) + "}",
                fingerprint);
        }

        return rows;
    }

    /// <summary>26 characters, like the project's ULID ids.</summary>
    private static string Ulid() => Convert.ToHexString(RandomNumberGenerator.GetBytes(13));

    private sealed record Row(string Tenant, string Customer, long Seq, string EventId, string EventName, string CustomerId, DateTime Time, string Properties, byte[] Fingerprint);
}
