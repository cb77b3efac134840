using Npgsql;

namespace Flexprice.Grains.Storage;

/// <summary>
/// A partition of the event log as a file: PostgreSQL's binary COPY of <c>events_archive_rows(partition)</c> (each
/// event with its fingerprint), the format <c>scripts/archive</c> writes and loads back.
/// </summary>
public static class EventLogArchive
{
    public const string Extension = ".pgcopy";

    /// <summary>Writes <c>DIRECTORY/PARTITION.pgcopy</c> (whole, or not at all: written aside, flushed to disk, then renamed); returns its path.</summary>
    public static async Task<string> ExportAsync(FlexpriceDatabase database, string partition, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, partition + Extension);
        var partial = path + ".partial";
        await using (var connection = await database.DataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (var copy = await connection.BeginRawBinaryCopyAsync(
                $"COPY (SELECT * FROM events_archive_rows('public.{partition.Replace("'", "''", StringComparison.Ordinal)}')) TO STDOUT (FORMAT binary)", cancellationToken))
            {
                await copy.CopyToAsync(file, cancellationToken);
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(partial, path, overwrite: true);
        return path;
    }
}
