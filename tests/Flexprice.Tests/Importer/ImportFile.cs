using System.Globalization;
using System.Text;

namespace Flexprice.Tests.Importer;

/// <summary>
/// A generated NDJSON import file and what importing it must give: the credits each customer must
/// end with, the events the log must hold (by id, derived ids excepted), and the lines that must be
/// refused, with a word their reason must contain. Events are <c>model.usage</c> with a decimal
/// <c>credits</c>; some name their id, most do not; a few lines are bad in each way a file can be.
/// </summary>
public sealed class ImportFile
{
    private ImportFile(string path, Dictionary<string, decimal> credits, Dictionary<string, int> counts, SortedDictionary<long, string> refused, int records, int distinctEvents)
    {
        Path = path;
        Credits = credits;
        Counts = counts;
        Refused = refused;
        Records = records;
        DistinctEvents = distinctEvents;
    }

    public string Path { get; }

    /// <summary>Expected SUM of credits per customer.</summary>
    public Dictionary<string, decimal> Credits { get; }

    /// <summary>Expected number of counted events per customer.</summary>
    public Dictionary<string, int> Counts { get; }

    /// <summary>Line → a word of the reason it must be refused with.</summary>
    public SortedDictionary<long, string> Refused { get; }

    /// <summary>Non-blank lines.</summary>
    public int Records { get; }

    /// <summary>Events the log must hold.</summary>
    public int DistinctEvents { get; }

    /// <param name="badEvery">One line in this many is bad (0: none).</param>
    /// <param name="repeats">Lines that repeat an earlier line with an id of its own, exactly (counted once) — or with other credits (a conflict, refused) when <paramref name="conflicts"/>.</param>
    public static ImportFile Write(string path, IReadOnlyList<string> customers, int lines, int seed, int badEvery = 50, int repeats = 0, bool conflicts = false)
    {
        var random = new Random(seed);
        var credits = customers.ToDictionary(c => c, _ => 0m);
        var counts = customers.ToDictionary(c => c, _ => 0);
        var refused = new SortedDictionary<long, string>();
        var withIds = new List<(string Line, string Id, string Customer, decimal Credits)>();
        var (records, distinct) = (0, 0);
        var at = DateTime.UtcNow.AddDays(-3);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        for (var line = 1; line <= lines; line++)
        {
            if (random.Next(100) == 0)
            {
                writer.Write("\n");
                line++;
            }

            string text;
            var roll = random.Next(badEvery == 0 ? int.MaxValue : badEvery);
            if (repeats > 0 && withIds.Count > 20 && random.Next(lines / repeats) == 0)
            {
                repeats--;
                var (earlier, id, customer, amount) = withIds[random.Next(withIds.Count)];
                if (conflicts)
                {
                    text = Event(customer, amount + 1, id, at);
                    refused[line] = "different payload";
                }
                else
                {
                    text = earlier;
                }
            }
            else if (badEvery > 0 && roll == 0)
            {
                (text, refused[line]) = random.Next(4) switch
                {
                    0 => (Event("nobody-" + line, 1, null, at), "not found"),
                    1 => ($"{{\"event_name\":\"model.usage\",\"external_customer_id\":\"{customers[0]}\",\"properties\":{{\"credits\":\"lots\"}}}}", "credits"),
                    2 => ($"{{\"external_customer_id\":\"{customers[0]}\"}}", "event_name"),
                    _ => ("{\"event_name\": \"model.usage\", broken", "Invalid JSON"),
                };
            }
            else
            {
                var customer = customers[random.Next(customers.Count)];
                var amount = new decimal(random.Next(1, 1_000_000), 0, 0, false, (byte)random.Next(0, 4));
                var id = random.Next(4) == 0 ? $"evt-{seed}-{line}" : null;
                at = at.AddMilliseconds(random.Next(1, 500));
                text = Event(customer, amount, id, at);
                credits[customer] += amount;
                counts[customer]++;
                distinct++;
                if (id is not null)
                {
                    withIds.Add((text, id, customer, amount));
                }
            }

            writer.Write(text);
            writer.Write('\n');
            records++;
        }

        return new ImportFile(path, credits, counts, refused, records, distinct);
    }

    private static string Event(string customer, decimal credits, string? id, DateTime at) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{{(id is null ? "" : $"\"event_id\":\"{id}\",")}\"event_name\":\"model.usage\",\"external_customer_id\":\"{customer}\",\"timestamp\":\"{at:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"properties\":{{\"credits\":{credits},\"model\":\"gpt-4\"}}}}");
}
