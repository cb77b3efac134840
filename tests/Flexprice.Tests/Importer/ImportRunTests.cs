using System.Text.Json;
using Flexprice.Importer;
using Flexprice.Importer.Running;
using Flexprice.Tests.Client;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Importer;

/// <summary>The importer's run against the real API (in process): every good line counted once, every bad line rejected with its reason.</summary>
[Collection(ApiCollection.Name)]
public sealed class ImportRunTests(ApiFactory api) : IDisposable
{
    private static readonly string[] Customers = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"];
    private readonly string _dir = Directory.CreateTempSubdirectory("flexprice-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_import_counts_every_good_line_once_and_writes_every_bad_line_to_the_rejected_file_with_its_reason()
    {
        using var tenant = await NewTenantAsync();
        var file = ImportFile.Write(Path.Combine(_dir, "usage.ndjson"), Customers, lines: 1500, seed: 1, badEvery: 40, repeats: 10);
        Assert.True(file.Refused.Count >= 20, "the file needs bad lines");

        var (outcome, _) = await ImportAsync(tenant, file.Path, "--batch-size", "200", "--concurrency", "3");

        Assert.True(outcome.Completed, outcome.Failure);
        var sent = file.Records - file.Refused.Count;
        // Lines repeating an earlier line's event are reported as duplicates by the server.
        Assert.Equal(new ImportTotals(file.Records, sent, sent - file.DistinctEvents, 0, file.Refused.Count), outcome.Totals);
        await AssertImportedAsync(tenant, file);
    }

    [Fact]
    public async Task A_line_repeating_an_event_id_with_another_payload_is_refused_as_a_conflict()
    {
        using var tenant = await NewTenantAsync();
        // One request at a time, so that the first line with an id is the one stored.
        var file = ImportFile.Write(Path.Combine(_dir, "conflicts.ndjson"), Customers, lines: 600, seed: 2, badEvery: 0, repeats: 8, conflicts: true);

        var (outcome, _) = await ImportAsync(tenant, file.Path, "--batch-size", "50", "--concurrency", "1");

        Assert.True(outcome.Completed, outcome.Failure);
        Assert.True(file.Refused.Count >= 3, "the file needs conflicting lines");
        Assert.Equal(file.Refused.Count, outcome.Totals.Refused);
        await AssertImportedAsync(tenant, file);
    }

    [Fact]
    public async Task Importing_the_same_file_again_counts_nothing_twice()
    {
        using var tenant = await NewTenantAsync();
        var file = ImportFile.Write(Path.Combine(_dir, "twice.ndjson"), Customers, lines: 800, seed: 3, badEvery: 60);
        var (first, _) = await ImportAsync(tenant, file.Path, "--batch-size", "250");
        var rejected = await File.ReadAllTextAsync(first.RejectedPath);

        var (second, messages) = await ImportAsync(tenant, file.Path, "--batch-size", "300", "--concurrency", "2");

        Assert.True(second.Completed, second.Failure);
        // The second time, every event sent is already stored: all duplicates.
        Assert.Equal(first.Totals with { Duplicates = first.Totals.Sent }, second.Totals);
        Assert.Equal(1, second.Runs);
        Assert.Equal(rejected, await File.ReadAllTextAsync(second.RejectedPath));
        Assert.DoesNotContain("unfinished", messages);
        await AssertImportedAsync(tenant, file);
    }

    [Fact]
    public async Task A_completed_import_resumed_sends_nothing_and_a_changed_file_is_not_resumed()
    {
        using var tenant = await NewTenantAsync();
        var file = ImportFile.Write(Path.Combine(_dir, "done.ndjson"), Customers, lines: 300, seed: 4, badEvery: 0);
        var (first, _) = await ImportAsync(tenant, file.Path);

        var (again, messages) = await ImportAsync(tenant, file.Path, "--resume");

        Assert.True(again.Completed);
        Assert.Equal(0, again.RunRecords);
        Assert.Equal(first.Totals, again.Totals);
        Assert.Contains("imported completely already", messages);
        await File.AppendAllTextAsync(file.Path, "{\"event_name\":\"model.usage\",\"external_customer_id\":\"c1\",\"properties\":{\"credits\":1}}\n");
        var error = await Assert.ThrowsAsync<ImportFailedException>(() => ImportAsync(tenant, file.Path, "--resume"));
        Assert.Contains("changed since", error.Message);
        await AssertImportedAsync(tenant, file);
    }

    [Fact]
    public async Task A_csv_file_is_imported_with_its_property_columns()
    {
        using var tenant = await NewTenantAsync();
        var path = Path.Combine(_dir, "usage.csv");
        var random = new Random(9);
        var expected = Customers.ToDictionary(c => c, _ => 0m);
        using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync("external_customer_id,event_name,timestamp,properties.credits,properties.model,event_id");
            for (var i = 0; i < 120; i++)
            {
                var customer = Customers[random.Next(Customers.Length)];
                var credits = new decimal(random.Next(1, 100_000), 0, 0, false, (byte)random.Next(0, 3));
                expected[customer] += credits;
                await writer.WriteLineAsync($"{customer},model.usage,2025-06-01T00:00:{i % 60:00}Z,{credits.ToString(System.Globalization.CultureInfo.InvariantCulture)},\"gpt, \"\"4\"\"\",{(i % 3 == 0 ? $"csv-{i}" : "")}");
            }

            await writer.WriteLineAsync("model.usage,nobody,,1,x,");
        }

        var (outcome, _) = await ImportAsync(tenant, path);

        Assert.True(outcome.Completed, outcome.Failure);
        Assert.Equal((121L, 120L, 1L), (outcome.Totals.Records, outcome.Totals.Sent, outcome.Totals.Refused));
        foreach (var customer in Customers)
        {
            Assert.Equal(expected[customer], (await tenant.UsageAsync(customer))["credits"].GetProperty("value").GetDecimal());
        }

        var rejected = JsonDocument.Parse(File.ReadLines(outcome.RejectedPath).Single()).RootElement;
        Assert.Equal(122, rejected.GetProperty("line").GetInt64());
    }

    private async Task<(ImportOutcome Outcome, string Messages)> ImportAsync(TenantClient tenant, string file, params string[] options)
    {
        var parsed = ImportOptions.Parse([file, "--api-key", tenant.ApiKey, "--progress", "none", .. options]);
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o => o.MaxRetryAttempts = 1);
        using var messages = new StringWriter();
        var outcome = await new ImportRun(parsed, provider.Client(), TimeProvider.System, messages).RunAsync(CancellationToken.None);
        return (outcome, messages.ToString());
    }

    private Task<TenantClient> NewTenantAsync() => api.NewMeteredTenantAsync(Customers);

    /// <summary>The server's usage and log, and the rejected file, against what the file says they must be.</summary>
    private static async Task AssertImportedAsync(TenantClient tenant, ImportFile file)
    {
        foreach (var customer in Customers)
        {
            var usage = await tenant.UsageAsync(customer);
            Assert.Equal(file.Credits[customer], usage["credits"].GetProperty("value").GetDecimal());
            Assert.Equal(file.Counts[customer], usage["calls"].GetProperty("value").GetDecimal());
        }

        Assert.Equal(file.DistinctEvents, await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant.TenantId)));
        var rejected = File.Exists(file.Path + ".rejected.ndjson")
            ? File.ReadLines(file.Path + ".rejected.ndjson").Select(l => JsonDocument.Parse(l).RootElement).ToList()
            : [];
        Assert.Equal(file.Refused.Keys, rejected.Select(r => r.GetProperty("line").GetInt64()));
        Assert.All(rejected, r => Assert.Contains(file.Refused[r.GetProperty("line").GetInt64()], r.GetProperty("reason").GetString()));
    }
}
