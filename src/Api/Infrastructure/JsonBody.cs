using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Reads request bodies ourselves, so malformed JSON gets the spec's 400 <c>Invalid JSON format</c>
/// rather than the framework's own error shape, a body over its limit a 413, and text that cannot be
/// stored (U+0000) a 400 naming the field, before any of it reaches a grain or the database.
/// </summary>
public static class JsonBody
{
    /// <summary>A body of a known length up to this size is read whole from the request's pipe and parsed from there.</summary>
    private const long InPlaceLimit = 64 * 1024;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static async ValueTask<(JsonDocument? Document, IResult? Error)> ParseAsync(HttpRequest request, long limit = RequestBodies.SingleObjectLimit)
    {
        if (request.ContentLength > limit)
        {
            await RequestBodies.DrainAsync(request);
            return (null, Errors.TooLarge(limit));
        }

        JsonDocument document;
        try
        {
            document = request.ContentLength is { } length and <= InPlaceLimit
                ? await ParseInPlaceAsync(request, (int)length)
                : await JsonDocument.ParseAsync(RequestBodies.Limited(request, limit), default, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return (null, Errors.BadRequest(ErrorMessages.InvalidJson));
        }
        catch (BadHttpRequestException bad)
        {
            if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await RequestBodies.DrainAsync(request);
            }

            return (null, Errors.Status(bad.StatusCode, RequestBodies.Describe(bad, limit)));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, Errors.BadRequest(ErrorMessages.InvalidJson));
        }

        if (JsonText.FindUnstorable(document.RootElement) is { } problem)
        {
            document.Dispose();
            return (null, Errors.BadRequest(problem));
        }

        return (document, null);
    }

    /// <summary>
    /// The usual small body, whose length the client declared (Kestrel delivers exactly that many bytes): awaited in
    /// the request's pipe, usually already there, and parsed from it, without a stream over the pipe or a task.
    /// </summary>
    private static async ValueTask<JsonDocument> ParseInPlaceAsync(HttpRequest request, int length)
    {
        var body = request.BodyReader;
        var read = await body.ReadAtLeastAsync(length, request.HttpContext.RequestAborted);
        try
        {
            request.HttpContext.Features.Get<BodyHead>()?.Keep(read.Buffer);
            // Fewer bytes than declared and the body ended: Kestrel has thrown already (a client gone mid-body), so this
            // is the body, whole. ParseValue copies the value into a pooled buffer of the document's own (JsonDocument.Parse
            // of a sequence would keep pointing into the pipe, which Kestrel reuses once advanced); it reads one value, so
            // anything after it is checked here, as Parse would.
            // A leading UTF-8 byte order mark is skipped, as JsonDocument.ParseAsync skips it for larger bodies.
            var json = read.Buffer;
            if (new System.Buffers.SequenceReader<byte>(json).IsNext(Utf8Bom))
            {
                json = json.Slice(Utf8Bom.Length);
            }

            var reader = new Utf8JsonReader(json);
            var document = JsonDocument.ParseValue(ref reader);
            try
            {
                if (reader.Read())
                {
                    throw new JsonException("Content after the JSON value");
                }
            }
            catch
            {
                document.Dispose();
                throw;
            }

            return document;
        }
        finally
        {
            body.AdvanceTo(read.Buffer.End);
        }
    }

    /// <summary>Binds the body to <typeparamref name="T"/>; a value of the wrong type is named in the error.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        var (document, error) = await ParseAsync(request);
        if (document is null)
        {
            return (null, error);
        }

        using (document)
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            try
            {
                return (document.RootElement.Deserialize<T>(options), null);
            }
            catch (JsonException ex)
            {
                var path = ex.Path is { Length: > 2 } p ? p[2..] : "body";
                return (null, Errors.BadRequest($"Invalid value for field: {ErrorMessages.Echo(path)}"));
            }
        }
    }
}
