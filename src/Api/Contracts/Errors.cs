namespace Flexprice.Api.Contracts;

/// <summary>
/// Every error body: the spec's <c>{"error": "…"}</c>, with what Flexprice's SDKs read beside it: <see cref="Message"/>
/// (the same text), <see cref="Code"/> (Flexprice's error codes) and <see cref="HttpStatusCode"/>.
/// </summary>
public sealed record ErrorResponse(string Error, string Message, string Code, int HttpStatusCode)
{
    public static ErrorResponse For(int status, string message) => new(message, message, ErrorCodes.For(status), status);
}

/// <summary>
/// A refused bulk request: <see cref="Error"/> repeats the first event's error; <see cref="Errors"/> names each bad index.
/// Nothing was stored, unless <see cref="Outcomes"/> is given: then some customers' parts were stored (a conflict
/// or a fault showed up only at commit time), and it says, event by event, what became of each.
/// </summary>
public sealed record BulkErrorResponse(
    string Error, string Message, string Code, int HttpStatusCode, IReadOnlyList<IndexedError> Errors, IReadOnlyList<EventOutcomeResponse>? Outcomes = null)
{
    public static BulkErrorResponse For(int status, IReadOnlyList<IndexedError> errors, IReadOnlyList<EventOutcomeResponse>? outcomes = null) =>
        new(errors[0].Error, errors[0].Error, ErrorCodes.For(status), status, errors, outcomes);
}

/// <summary>Flexprice's error codes, by HTTP status.</summary>
public static class ErrorCodes
{
    public static string For(int status) => status switch
    {
        400 or 413 or 422 => "validation_error",
        401 or 403 => "permission_denied",
        404 => "not_found",
        409 => "already_exists",
        429 => "too_many_requests",
        501 => "not_implemented",
        503 => "service_unavailable",
        >= 500 => "internal_error",
        _ => "http_client_error",
    };
}

public sealed record IndexedError(int Index, string Error);

public static class ErrorMessages
{
    public const string InvalidJson = "Invalid JSON format";
    public const string InvalidApiKey = "Invalid or missing API key";
    public const string RateLimitExceeded = "Rate limit exceeded. Try again later.";
    public const string StorageUnavailable = "The events could not be stored right now; nothing was acknowledged. Retry with the same event_id";

    /// <summary>The most of a client's value an error message repeats.</summary>
    public const int MaxEcho = 128;

    public static string MissingField(string field) => $"Missing required field: {field}";

    public static string EventNameNotFound(string eventName) => $"Event name '{Echo(eventName)}' not found";

    public static string CustomerNotFound(string externalCustomerId) => $"Customer with external_customer_id '{Echo(externalCustomerId)}' not found";

    /// <summary>A client's value as an error message repeats it: at most <see cref="MaxEcho"/> characters, cut with "…".</summary>
    public static string Echo(string? value)
    {
        if (value is null || value.Length <= MaxEcho)
        {
            return value ?? "";
        }

        // Never half a surrogate pair.
        var keep = char.IsHighSurrogate(value[MaxEcho - 2]) ? MaxEcho - 2 : MaxEcho - 1;
        return string.Concat(value.AsSpan(0, keep), "…");
    }

    public static string HoldsNul(string field) => $"Invalid field: {field} must not contain the character U+0000";

    public static string TooLong(string field, int max) => $"Invalid field: {field} holds at most {max} characters";

    public static string Refused(string? reason) => $"Invalid event: {reason ?? "the database refused its values"}";

    public const string IdempotencyKeyReused = "Idempotency-Key was already used with a different request";

    public static string Conflict(string eventId) => $"Event with event_id '{Echo(eventId)}' was already received with a different payload";
}
