using Flexprice.Silo;
using Flexprice.Silo.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A silo on its own, for clustered deployments whose API nodes are Orleans clients. Over HTTP it
// serves only Prometheus' /metrics and /health/live, on Silo:HttpPort (default 9464).
// Content root at the binaries, so appsettings.json is found wherever the process starts.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFlexpriceLogging();
// Not a line per scrape of /metrics (configuration may lower it again).
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.AddFlexpriceTelemetry("flexprice-silo");
builder.AddFlexpriceSilo();
builder.WebHost.ConfigureKestrel((context, kestrel) => kestrel.Listen(SiloHttp.Address(context.Configuration), SiloHttp.Port(context.Configuration)));

var app = builder.Build();
app.MapFlexpriceMetrics();
app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
await app.RunAsync();

// Internal: the API assembly (referenced by the tests) declares the public Program.
internal partial class Program;
