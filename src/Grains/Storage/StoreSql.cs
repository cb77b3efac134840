using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>What the stores share: the database's idea of now, and small command helpers.</summary>
internal static class StoreSql
{
    /// <summary>Now, cut to the microseconds PostgreSQL keeps, so a created record reads back exactly as it was answered.</summary>
    public static DateTime Now(TimeProvider time)
    {
        var utc = time.GetUtcNow().UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);
    }

    public static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(value is DateTime dateTime
                ? new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = dateTime }
                : new NpgsqlParameter(name, value));
        }

        return command;
    }
}
