using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Flexprice.Api.Operations;
using Flexprice.Silo;
using Flexprice.Silo.Telemetry;

// Content root at the binaries, so appsettings.json is found wherever the process starts.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddFlexpriceOrleans();
builder.AddFlexpriceOperations();
// The largest body any route takes (the bulk route's); each route reads its own, smaller or equal, limit.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestBodies.ServerLimit);
builder.Services.AddSingleton<GrainRefs>();
builder.Services.AddSingleton<ApiKeyGrains>();
builder.Services.AddSingleton<CatalogCache>();
builder.Services.AddSingleton<IngestionService>();
builder.Services.AddSingleton<CustomerLanes>();
builder.Services.AddSingleton<IdempotencyKey>();
builder.Services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section);
builder.Services.AddHostedService<IdempotencyKeyCleanup>();
builder.Services.AddSingleton<AuthFailureThrottle>();
builder.Services.AddSingleton<Flexprice.Api.Usage.UsageQueryService>();
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    // Nulls are left out (the spec's shapes), except in the bodies Flexprice's SDKs read key by key.
    options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    options.SerializerOptions.TypeInfoResolver = (options.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(EveryKeyJson.Modify);
});
builder.Services.AddOpenApi(options => options.AddJsonBodies().AddRequestExamples().AddApiKeyScheme().AddOptionalNullables());
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = UnhandledErrors.WriteAsync, SuppressDiagnosticsCallback = UnhandledErrors.IsClientFault });
app.MapOpenApi();
app.MapApiReference();
app.MapConsole();
app.MapFlexpriceMetrics();
app.MapDashboard();
app.MapHealthApi();

var v1 = ApiKeyFilter.KeyRequired(app.MapGroup("/v1"));
v1.MapEventsApi();
v1.MapUsageApi();
v1.MapEventDebuggerApi();
v1.MapCustomersApi();
v1.MapFeaturesApi();
v1.MapApiKeysApi();

app.Run();

public partial class Program;
