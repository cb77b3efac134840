namespace Flexprice.Importer.Input;

/// <summary>
/// What each CSV column holds, from the header: <c>event_name</c>, <c>external_customer_id</c>,
/// <c>event_id</c>, <c>timestamp</c>, <c>source</c>, <c>customer_id</c>, and <c>properties.&lt;name&gt;</c>
/// for each property. Any other column is an error (its data would otherwise be lost silently).
/// </summary>
public sealed class CsvColumns
{
    public static readonly string[] EventFields = ["event_name", "external_customer_id", "event_id", "timestamp", "source", "customer_id"];

    private CsvColumns(int[] fields, (int Column, string Name)[] properties)
    {
        Fields = fields;
        Properties = properties;
    }

    /// <summary>The column of each of <see cref="EventFields"/>, or -1.</summary>
    public int[] Fields { get; }

    public (int Column, string Name)[] Properties { get; }

    public int EventIdColumn => Fields[2];

    public static CsvColumns FromHeader(IReadOnlyList<string> header)
    {
        var fields = Enumerable.Repeat(-1, EventFields.Length).ToArray();
        var properties = new List<(int, string)>();
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            var field = Array.IndexOf(EventFields, name);
            if (field >= 0)
            {
                if (fields[field] >= 0)
                {
                    throw new InvalidDataException($"CSV header: column '{name}' appears twice");
                }

                fields[field] = i;
            }
            else if (name.StartsWith("properties.", StringComparison.Ordinal) && name.Length > "properties.".Length)
            {
                properties.Add((i, name["properties.".Length..]));
            }
            else
            {
                throw new InvalidDataException(
                    $"CSV header: unknown column '{name}'. Columns are {string.Join(", ", EventFields)} and properties.<name> for each property");
            }
        }

        if (fields[0] < 0 || fields[1] < 0)
        {
            throw new InvalidDataException("CSV header: the columns event_name and external_customer_id are required");
        }

        return new CsvColumns(fields, [.. properties]);
    }
}
