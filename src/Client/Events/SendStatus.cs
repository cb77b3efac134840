namespace Flexprice.Client.Events;

/// <summary>How the server answered a request that sends events.</summary>
public enum SendStatus
{
    /// <summary>202: every event is stored (or was already: a retry counts zero more times).</summary>
    Accepted,

    /// <summary>400, 409, 413, 422: the events' content was refused and nothing was stored; <see cref="SendResult.Errors"/> may name the bad events.</summary>
    Refused,

    /// <summary>401, 403, 404 and other 4xx: this request cannot succeed as sent (wrong key, wrong URL), whatever the events.</summary>
    Denied,

    /// <summary>408, 429, 5xx, no answer, a timeout: nothing was acknowledged; send the same events (same ids) again later.</summary>
    Transient,
}
