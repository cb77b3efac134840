using System.Text;
using System.Text.Json;
using Flexprice.Importer.Input;

namespace Flexprice.Tests.Importer;

/// <summary>Reading import files: NDJSON and CSV records to events, ids derived where missing, resumable at any record.</summary>
public sealed class RecordSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flexprice-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ndjson_lines_keep_their_own_ids_get_derived_ones_otherwise_and_are_sent_as_written()
    {
        var path = Write("a.ndjson", "\uFEFF{\"event_id\":\"mine\",\"event_name\":\"x\",\"properties\":{\"credits\": 2.500}}\r\n"
            + "\n   \n"
            + "{ \"event_name\" : \"x\", \"external_customer_id\":\"c1\" }  \n"
            + "{}\n"
            + "{\"event_id\":null,\"event_name\":\"x\"}\n"
            + "{\"event_id\":\"\",\"event_name\":\"x\"}\n"
            + "{\"event_name\":\"no newline at the end\"}");

        var records = ReadAll(new NdjsonSource(path, 0, 1));

        Assert.Equal([1L, 4, 5, 6, 7, 8], records.Select(r => r.Line));
        Assert.All(records, r => Assert.Null(r.Error));
        Assert.Equal("{\"event_id\":\"mine\",\"event_name\":\"x\",\"properties\":{\"credits\": 2.500}}", records[0].Json);
        Assert.Equal("mine", Id(records[0]));
        var derived = records.Skip(1).Select(Id).ToList();
        Assert.All(derived, id => Assert.Matches("^imp_[0-9]+_[0-9a-f]{24}$", id));
        Assert.Equal(derived.Count, derived.Distinct().Count());
        Assert.StartsWith("imp_4_", derived[0]);
        Assert.Equal("{\"event_id\":\"" + derived[0] + "\", \"event_name\" : \"x\", \"external_customer_id\":\"c1\" }", records[1].Json);
        Assert.Equal("{\"event_id\":\"" + derived[1] + "\"}", records[2].Json);
        Assert.Equal("x", JsonDocument.Parse(records[3].Json!).RootElement.GetProperty("event_name").GetString());
        Assert.Equal(records.Select(r => r.Json), ReadAll(new NdjsonSource(path, 0, 1)).Select(r => r.Json));
    }

    [Fact]
    public void Unreadable_lines_are_refused_with_the_reason_and_reading_goes_on()
    {
        var path = Write("b.ndjson", "not json\n[1,2]\n{\"a\":1} {\"b\":2}\n{\"a\":\n\"text\"\n{\"event_name\":\"ok\"}\n");

        var records = ReadAll(new NdjsonSource(path, 0, 1));

        Assert.Equal([1L, 2, 3, 4, 5, 6], records.Select(r => r.Line));
        Assert.All(records.Take(5), r => Assert.NotNull(r.Error));
        Assert.StartsWith("Invalid JSON", records[0].Error);
        Assert.Equal("Not a JSON object", records[1].Error);
        Assert.Equal("not json", records[0].Raw);
        Assert.Null(records[5].Error);
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_refused_and_the_next_line_is_read()
    {
        var big = "{\"event_name\":\"x\",\"properties\":{\"blob\":\"" + new string('a', NdjsonSource.MaxLineBytes + 1000) + "\"}}";
        var path = Write("c.ndjson", "{\"event_name\":\"first\"}\n" + big + "\n{\"event_name\":\"after\"}\n");

        var records = ReadAll(new NdjsonSource(path, 0, 1));

        Assert.Equal([1L, 2, 3], records.Select(r => r.Line));
        Assert.Equal($"Line longer than {NdjsonSource.MaxLineBytes} bytes", records[1].Error);
        Assert.Equal(23, records[1].Offset);
        Assert.Contains("\"after\"", records[2].Json);
    }

    [Fact]
    public void Csv_columns_map_to_the_event_with_numbers_as_numbers_and_empty_cells_left_out()
    {
        var path = Write("d.csv",
            "event_name,external_customer_id,event_id,timestamp,source,properties.credits,properties.model,properties.code\n"
            + "model.usage,c1,e-1,2025-01-02T03:04:05Z,csv,2.50,\"gpt, 4\",007\n"
            + "model.usage,\"c \"\"2\"\"\",,,,1e3,\"multi\nline\",-0\n"
            + "model.usage,c3,,,,,abc,\n");

        var records = ReadAll(new CsvSource(path, 0, 1));

        Assert.Equal([2L, 3, 5], records.Select(r => r.Line));
        Assert.Equal("{\"event_name\":\"model.usage\",\"external_customer_id\":\"c1\",\"event_id\":\"e-1\",\"timestamp\":\"2025-01-02T03:04:05Z\",\"source\":\"csv\",\"properties\":{\"credits\":2.50,\"model\":\"gpt, 4\",\"code\":\"007\"}}", records[0].Json);
        var second = JsonDocument.Parse(records[1].Json!).RootElement;
        Assert.Equal("c \"2\"", second.GetProperty("external_customer_id").GetString());
        Assert.StartsWith("imp_3_", second.GetProperty("event_id").GetString());
        Assert.Equal(JsonValueKind.Number, second.GetProperty("properties").GetProperty("credits").ValueKind);
        Assert.Equal("multi\nline", second.GetProperty("properties").GetProperty("model").GetString());
        Assert.Equal("-0", second.GetProperty("properties").GetProperty("code").GetRawText());
        Assert.False(second.TryGetProperty("timestamp", out _));
        Assert.Equal("{\"model\":\"abc\"}", JsonDocument.Parse(records[2].Json!).RootElement.GetProperty("properties").GetRawText());
    }

    [Theory]
    [InlineData("event_name,customer\n", "unknown column 'customer'")]
    [InlineData("event_name,properties.x\n", "event_name and external_customer_id are required")]
    [InlineData("event_name,external_customer_id,event_name\n", "'event_name' appears twice")]
    public void A_csv_header_that_cannot_be_mapped_is_refused_naming_the_column(string header, string message)
    {
        var path = Write("e.csv", header + "a,b\n");

        var error = Assert.Throws<InvalidDataException>(() => new CsvSource(path, 0, 1));

        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("2", true)]
    [InlineData("-12.5e-3", true)]
    [InlineData("0.25", true)]
    [InlineData("007", false)]
    [InlineData("1.", false)]
    [InlineData(".5", false)]
    [InlineData("1e", false)]
    [InlineData("+1", false)]
    [InlineData("NaN", false)]
    [InlineData("", false)]
    public void Csv_cells_are_numbers_exactly_when_they_are_json_numbers(string cell, bool number) =>
        Assert.Equal(number, CsvSource.IsJsonNumber(Encoding.UTF8.GetBytes(cell)));

    [Fact]
    public void Derived_ids_stay_the_same_when_lines_are_appended_or_another_line_is_fixed()
    {
        var lines = Enumerable.Range(1, 50).Select(i => $"{{\"event_name\":\"x\",\"external_customer_id\":\"c{i % 7}\",\"properties\":{{\"n\":{i % 3}}}}}").ToList();
        var before = ReadAll(new NdjsonSource(Write("f.ndjson", string.Join('\n', lines) + "\n"), 0, 1)).Select(Id).ToList();
        lines[10] = "{\"event_name\":\"fixed\"}";
        lines.Add("{\"event_name\":\"appended\"}");

        var after = ReadAll(new NdjsonSource(Write("f.ndjson", string.Join('\n', lines) + "\n"), 0, 1)).Select(Id).ToList();

        Assert.Equal(50, before.Distinct().Count());
        Assert.Equal(before.Where((_, i) => i != 10), after.Take(50).Where((_, i) => i != 10));
        Assert.NotEqual(before[10], after[10]);
    }

    [Theory]
    [InlineData("ndjson")]
    [InlineData("csv")]
    public void Reading_from_any_record_offset_gives_exactly_the_records_read_from_the_start(string format)
    {
        var random = new Random(5);
        var text = new StringBuilder(format == "csv" ? "event_name,external_customer_id,event_id,properties.credits,properties.note\n" : "");
        for (var i = 0; i < 400; i++)
        {
            var id = random.Next(3) == 0 ? $"id-{i}" : "";
            var note = random.Next(5) switch { 0 => "a, \"quoted\"\nvalue", 1 => "", _ => $"n{i}" };
            if (format == "csv")
            {
                text.Append(random.Next(10) == 0 ? "\n" : "").Append($"model.usage,c{random.Next(9)},{id},{random.Next(1000)},\"{note.Replace("\"", "\"\"")}\"\n");
            }
            else
            {
                text.Append(random.Next(10) switch
                {
                    0 => "\n",
                    1 => "garbage line\n",
                    _ => $"{{\"event_name\":\"model.usage\",\"external_customer_id\":\"c{random.Next(9)}\"{(id.Length > 0 ? $",\"event_id\":\"{id}\"" : "")},\"properties\":{{\"credits\":{random.Next(1000)},\"note\":{JsonSerializer.Serialize(note)}}}}}\r\n",
                });
            }
        }

        var path = Write($"g.{format}", text.ToString());
        IRecordSource Open(long offset, long line) => format == "csv" ? new CsvSource(path, offset, line) : new NdjsonSource(path, offset, line);
        var all = ReadAll(Open(0, 1));
        Assert.True(all.Count > 300);

        for (var k = 0; k < all.Count; k += 37)
        {
            Assert.Equal(all.Skip(k), ReadAll(Open(all[k].Offset, all[k].Line)));
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private static List<Read> ReadAll(IRecordSource source)
    {
        using (source)
        {
            var list = new List<Read>();
            var record = new SourceRecord();
            while (source.Read(record))
            {
                list.Add(new Read(record.Line, record.Offset, record.Error is null ? Encoding.UTF8.GetString(record.Json.WrittenSpan) : null, record.Error, record.Raw));
            }

            return list;
        }
    }

    private static string Id(Read r) => JsonDocument.Parse(r.Json!).RootElement.GetProperty("event_id").GetString()!;

    private sealed record Read(long Line, long Offset, string? Json, string? Error, string? Raw);
}
