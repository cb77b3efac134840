using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Flexprice.Api.Events;

/// <summary>
/// The single event's 202, <c>{"event_id": …, "message": "Event accepted for processing"}</c>, as a typed result (described
/// in the OpenAPI document like <c>Accepted&lt;EventAcceptedResponse&gt;</c>). Written straight into the response's pipe by a
/// writer this thread keeps, where <c>TypedResults.Accepted</c> makes a JSON writer and a serializer's task for every request:
/// the route's answer on its hot path. Escaped as ASP.NET Core's JSON options escape (<c>UnsafeRelaxedJsonEscaping</c>, which
/// <c>Program.cs</c> keeps), and sent with its length.
/// </summary>
public sealed class EventAccepted(string eventId) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<EventAcceptedResponse>
{
    // A writer between requests points here, never at a request's pipe (nothing is written to it).
    private static readonly System.Buffers.ArrayBufferWriter<byte> Detached = new(1);

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public EventAcceptedResponse Value => new(eventId, EventsApi.EventAccepted);

    object? IValueHttpResult.Value => Value;

    public int StatusCode => StatusCodes.Status202Accepted;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "application/json; charset=utf-8";
        var writer = t_writer ??= new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.Reset(response.BodyWriter);
        try
        {
            writer.WriteStartObject();
            writer.WriteString("event_id"u8, eventId);
            writer.WriteString("message"u8, EventsApi.EventAccepted);
            writer.WriteEndObject();
            response.ContentLength = writer.BytesPending;
            writer.Flush();
        }
        finally
        {
            // The writer outlives the request: it keeps no reference to its pipe.
            writer.Reset(Detached);
        }

        return Task.CompletedTask;
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status202Accepted, typeof(EventAcceptedResponse), ["application/json"]));
}
