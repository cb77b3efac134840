using System.Net;
using System.Net.Http.Json;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>
/// External ids and event ids that hold <c>/</c> or <c>%</c>, through the routes that take them in the path, on the
/// real server (Kestrel, as a separate process: the in-memory test server does not pass the raw request target on).
/// </summary>
public sealed class RawPathTests
{
    [Fact]
    public async Task Usage_route_reads_ids_holding_slashes_and_percent_signs_each_as_itself()
    {
        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "raw-path");
        using var server = await ServerProcess.StartAsync(settings, TimeSpan.FromSeconds(60));
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 0);
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);

        // "a/b" travels as a%2Fb and the text "a%2Fb" as a%252Fb: two customers, and neither is "a".
        string[] ids = ["a/b", "a%2Fb", "a", "team/eu west/é", "100%"];
        for (var i = 0; i < ids.Length; i++)
        {
            using var customer = await http.PostAsJsonAsync("/v1/customers", new { external_id = ids[i], name = ids[i] });
            Assert.Equal(HttpStatusCode.Created, customer.StatusCode);
            using var sent = await http.PostAsJsonAsync("/v1/events", new { event_id = ids[i], event_name = EventLedger.EventName, external_customer_id = ids[i], properties = new { credits = i + 1 } });
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }

        for (var i = 0; i < ids.Length; i++)
        {
            var usage = await EventLedger.UsageAsync(http, ids[i]);
            Assert.Equal(i + 1m, usage.Credits);

            using var ranged = await http.GetAsync($"/v1/customers/{Uri.EscapeDataString(ids[i])}/usage?start_time=2000-01-01T00:00:00Z");
            var body = await ranged.ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(ids[i], body.GetProperty("external_customer_id").GetString());

            using var byExternalId = await http.GetAsync($"/v1/customers/external/{Uri.EscapeDataString(ids[i])}");
            Assert.Equal(ids[i], (await byExternalId.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("external_id").GetString());

            using var byEventId = await http.GetAsync($"/v1/events/{Uri.EscapeDataString(ids[i])}");
            var found = (await byEventId.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("event");
            Assert.Equal((ids[i], ids[i]), (found.GetProperty("id").GetString(), found.GetProperty("external_customer_id").GetString()));
        }

        using var unknown = await http.GetAsync($"/v1/customers/{Uri.EscapeDataString("a/c")}/usage");
        await unknown.AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'a/c' not found");
    }
}
