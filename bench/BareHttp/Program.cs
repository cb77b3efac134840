using System.Text.Json;
using System.Text.Json.Serialization;

// The HTTP baseline of scripts/bench: a minimal Kestrel endpoint that reads and parses the same
// JSON bodies as Flexprice's event routes, touches the fields the project reads, and answers 202
// with the same response shape, storing nothing. What the project does beyond this is its cost.
//
//   dotnet bench/BareHttp/bin/Release/net10.0/Flexprice.BareHttp.dll --urls http://127.0.0.1:8096
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJson.Default));
var app = builder.Build();

app.MapPost("/v1/events", async (HttpRequest request) =>
{
    using var document = await JsonDocument.ParseAsync(request.Body);
    var id = Touch(document.RootElement);
    return TypedResults.Json(new Accepted(id, "Event accepted for processing"), BareJson.Default.Accepted, statusCode: StatusCodes.Status202Accepted);
});

app.MapPost("/v1/events/bulk", async (HttpRequest request) =>
{
    using var document = await JsonDocument.ParseAsync(request.Body);
    var ids = new List<string>();
    foreach (var e in document.RootElement.GetProperty("events").EnumerateArray())
    {
        ids.Add(Touch(e));
    }

    return TypedResults.Json(new BulkAccepted("Events accepted for processing", ids), BareJson.Default.BulkAccepted, statusCode: StatusCodes.Status202Accepted);
});

app.MapGet("/health/ready", () => "ok");
app.Run();

// Reads what validation reads: names, customer, id, properties.
static string Touch(JsonElement e)
{
    _ = e.GetProperty("event_name").GetString();
    _ = e.GetProperty("external_customer_id").GetString();
    if (e.TryGetProperty("properties", out var properties))
    {
        foreach (var property in properties.EnumerateObject())
        {
            _ = property.Value.GetRawText();
        }
    }

    return e.TryGetProperty("event_id", out var id) ? id.GetString()! : "event_" + Guid.NewGuid().ToString("N");
}

internal sealed record Accepted(string EventId, string Message);

internal sealed record BulkAccepted(string Message, List<string> EventIds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Accepted))]
[JsonSerializable(typeof(BulkAccepted))]
internal sealed partial class BareJson : JsonSerializerContext;
