using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Flexprice.Tests.Operations;

/// <summary>The API with traces on and an in-memory exporter beside OTLP's place.</summary>
public sealed class TracingApiFactory : ApiFactory
{
    public ConcurrentQueue<Activity> Spans { get; } = new();

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Telemetry:Tracing", "true");
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(Spans)))));
    }

    private sealed class QueueExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch)
            {
                spans.Enqueue(activity);
            }

            return ExportResult.Success;
        }
    }
}

/// <summary>
/// One trace from the HTTP request through the grain calls to PostgreSQL. The event-log writer commits many
/// requests' events in one statement, so its flush is a span of its own, linked to the grain calls it serves.
/// </summary>
public sealed class TracingTests(TracingApiFactory api) : IClassFixture<TracingApiFactory>
{
    [Fact]
    public async Task An_ingest_request_traces_through_its_grain_call_to_the_flush_that_stored_it()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("traced.usage", "SUM", "credits");
        await tenant.CreateCustomerAsync("traced-customer");

        using var response = await tenant.PostEventAsync(new { event_name = "traced.usage", external_customer_id = "traced-customer", properties = new { credits = 3 } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var traceId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        var spans = await TraceAsync(traceId, s => s.Any(IsIngestCall) && s.Any(a => a.Kind == ActivityKind.Server && a.Source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)));
        var calls = spans.Where(IsIngestCall).ToList();
        var flush = await WaitForAsync(() => api.Spans.FirstOrDefault(s => s.OperationName == "eventlog.flush" && s.Links.Any(l => calls.Any(c => c.Context.SpanId == l.Context.SpanId))));
        var insert = await WaitForAsync(() => api.Spans.FirstOrDefault(s => s.Source.Name == "Npgsql" && s.ParentSpanId == flush.SpanId));
        Assert.Equal(flush.TraceId, insert.TraceId);
    }

    [Fact]
    public async Task A_usage_query_answered_from_the_log_traces_to_postgresql()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("traced.query", "SUM", "credits");
        await tenant.CreateCustomerAsync("traced-reader");
        (await tenant.PostEventAsync(new { event_name = "traced.query", external_customer_id = "traced-reader", properties = new { credits = 3 } })).EnsureSuccessStatusCode();

        // A range starting long ago is computed from the event log, in the request.
        using var response = await tenant.PostJsonAsync("/v1/events/usage", """
            {"event_name": "traced.query", "aggregation_type": "SUM", "property_name": "credits", "external_customer_id": "traced-reader",
             "start_time": "2000-01-01T00:00:00Z", "end_time": "2100-01-01T00:00:00Z"}
            """);

        var body = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("log", body.GetProperty("source").GetString());
        var traceId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        await TraceAsync(traceId, s => s.Any(a => a.Source.Name == "Npgsql"));
    }

    private static bool IsIngestCall(Activity span) =>
        span.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && span.DisplayName.Contains("CustomerGrain", StringComparison.Ordinal)
        && span.DisplayName.Contains("Ingest", StringComparison.Ordinal);

    /// <summary>The spans of one trace, once <paramref name="complete"/> holds for them (bounded wait: spans end after the response).</summary>
    private async Task<List<Activity>> TraceAsync(string traceId, Func<List<Activity>, bool> complete)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var spans = api.Spans.Where(s => s.TraceId.ToHexString() == traceId).ToList();
            if (complete(spans))
            {
                return spans;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10),
                $"trace {traceId} is incomplete; it has: {string.Join(", ", spans.Select(s => $"{s.Source.Name}/{s.DisplayName}"))}");
            await Task.Delay(50);
        }
    }

    private static async Task<Activity> WaitForAsync(Func<Activity?> find)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the span did not appear");
            await Task.Delay(50);
        }
    }
}
