namespace Flexprice.Api.Contracts;

/// <summary>Every error body: the spec's <c>{"error": "…"}</c>.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>A refused bulk request: <see cref="Error"/> repeats the first event's error; <see cref="Errors"/> names each bad index. Nothing was stored.</summary>
public sealed record BulkErrorResponse(string Error, IReadOnlyList<IndexedError> Errors);

public sealed record IndexedError(int Index, string Error);

public static class ErrorMessages
{
    public const string InvalidJson = "Invalid JSON format";
    public const string InvalidApiKey = "Invalid or missing API key";
    public const string RateLimitExceeded = "Rate limit exceeded. Try again later.";
    public const string StorageUnavailable = "The events could not be stored right now; nothing was acknowledged. Retry with the same event_id";

    public static string MissingField(string field) => $"Missing required field: {field}";

    public static string EventNameNotFound(string eventName) => $"Event name '{eventName}' not found";

    public static string CustomerNotFound(string externalCustomerId) => $"Customer with external_customer_id '{externalCustomerId}' not found";

    public static string Conflict(string eventId) => $"Event with event_id '{eventId}' was already received with a different payload";
}
