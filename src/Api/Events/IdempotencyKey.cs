using System.Security.Cryptography;
using System.Text;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Events;

/// <summary>
/// The <c>Idempotency-Key</c> header on the ingestion routes (Stripe's convention), for clients that name no
/// event ids: the first request with a key claims it with the hash of its events; the server-made ids of its
/// events are then derived from (tenant, key, index) and the time of that first use, so a retry of the same
/// request (after a timeout, a 503, or a crash between commit and answer) carries the same ids, stores nothing
/// twice and gets the same answer. Another request with the key is 409.
/// </summary>
public sealed class IdempotencyKey(IdempotencyKeys store, IOptions<IdempotencyOptions> options, TimeProvider time)
{
    public const string HeaderName = "Idempotency-Key";
    public const int MaxLength = 255;

    /// <summary>
    /// The events with their ids derived from the request's key, or the answer that refuses the request (a bad
    /// key: 400; the key already used for another request: 409).
    /// </summary>
    public async Task<(List<ParsedEvent>? Events, IResult? Error)> ApplyAsync(HttpContext http, string tenantId, IngestRoute route, List<ParsedEvent> events)
    {
        var values = http.Request.Headers[HeaderName];
        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key.Any(c => c is < ' ' or > '~'))
        {
            return (null, Errors.BadRequest($"Invalid header: {HeaderName} must be one value of 1 to {MaxLength} printable ASCII characters"));
        }

        var hash = RequestHash(route, events);
        var claim = await store.ClaimAsync(tenantId, key, hash, time.GetUtcNow(), options.Value.KeyRetention, http.RequestAborted);
        if (!claim.RequestHash.AsSpan().SequenceEqual(hash))
        {
            return (null, Errors.Conflict(ErrorMessages.IdempotencyKeyReused));
        }

        var keyed = new List<ParsedEvent>(events.Count);
        for (var index = 0; index < events.Count; index++)
        {
            var e = events[index];
            keyed.Add(e.Event.EventIdGiven ? e : e with
            {
                // Named from now on: a retry must find it in the log, as it would an id the client gave.
                Event = e.Event with { EventId = Ids.Derived("event", claim.FirstSeen, Encoding.UTF8.GetBytes($"{tenantId}\0{key}\0{index}")), EventIdGiven = true },
            });
        }

        return (keyed, null);
    }

    /// <summary>What makes two requests the same: the route and, per event, its customer, its given ids and its payload's fingerprint.</summary>
    private static byte[] RequestHash(IngestRoute route, List<ParsedEvent> events)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([(byte)route]);
        foreach (var e in events)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{e.ExternalCustomerId}\0{(e.Event.EventIdGiven ? e.Event.EventId : "")}\0{e.Event.CustomerId}\0"));
            hash.AppendData(e.Event.Fingerprint);
        }

        return hash.GetHashAndReset();
    }
}
