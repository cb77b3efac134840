using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Events;

/// <summary>An event that passed validation, with the customer it belongs to.</summary>
public readonly record struct ParsedEvent(string ExternalCustomerId, IngestEvent Event);

/// <summary>
/// Validation at the door: one event's JSON against the tenant's catalog. Everything that can be
/// decided without the customer's state is decided here, so a bad event is refused before any
/// grain or database sees it.
/// </summary>
public static class EventParser
{
    /// <summary>How far in the future a client timestamp may lie (clock skew); any past time is accepted.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd' 'HH:mm:ssK",
    ];

    public static bool TryParse(JsonElement json, CatalogSnapshot catalog, TimeProvider time, out ParsedEvent parsed, out string error)
    {
        parsed = default;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = ErrorMessages.InvalidJson;
            return false;
        }

        if (!TryString(json, "event_name", out var eventName, out error) || !TryString(json, "external_customer_id", out var customerId, out error)
            || !TryString(json, "event_id", out var eventId, out error) || !TryString(json, "timestamp", out var timestampText, out error)
            || !TryString(json, "source", out var source, out error) || !TryString(json, "customer_id", out var internalCustomerId, out error))
        {
            return false;
        }

        eventName = eventName?.Trim();
        if (string.IsNullOrEmpty(eventName))
        {
            error = ErrorMessages.MissingField("event_name");
            return false;
        }

        if (string.IsNullOrWhiteSpace(customerId))
        {
            error = ErrorMessages.MissingField("external_customer_id");
            return false;
        }

        if ((InputLimits.CheckText(eventName, "event_name") ?? InputLimits.CheckText(customerId, "external_customer_id", InputLimits.MaxIdLength)
            ?? InputLimits.CheckText(eventId, "event_id", InputLimits.MaxIdLength) ?? InputLimits.CheckText(source, "source")
            ?? InputLimits.CheckText(internalCustomerId, "customer_id", InputLimits.MaxIdLength)) is { } tooLong)
        {
            error = tooLong;
            return false;
        }

        var now = time.GetUtcNow();
        DateTime timestamp;
        var timestampGiven = !string.IsNullOrEmpty(timestampText);
        if (timestampGiven)
        {
            if (!DateTimeOffset.TryParseExact(timestampText, TimestampFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsedTime))
            {
                error = $"Invalid timestamp '{ErrorMessages.Echo(timestampText)}': use ISO 8601, e.g. 2025-08-22T07:05:49.441Z";
                return false;
            }

            if (parsedTime > now + MaxFutureSkew)
            {
                error = $"Invalid timestamp '{ErrorMessages.Echo(timestampText)}': more than 5 minutes in the future";
                return false;
            }

            timestamp = ToMicroseconds(parsedTime.UtcDateTime);
        }
        else
        {
            timestamp = ToMicroseconds(now.UtcDateTime);
        }

        var properties = default(JsonElement);
        if (json.TryGetProperty("properties", out var propertiesValue) && propertiesValue.ValueKind != JsonValueKind.Null)
        {
            if (propertiesValue.ValueKind != JsonValueKind.Object)
            {
                error = "Invalid field: properties must be an object";
                return false;
            }

            if (InputLimits.CheckProperties(propertiesValue, "properties") is { } tooLarge)
            {
                error = tooLarge;
                return false;
            }

            properties = propertiesValue;
        }

        var features = catalog.FeaturesFor(eventName);
        if (features.IsEmpty)
        {
            error = ErrorMessages.EventNameNotFound(eventName);
            return false;
        }

        // Read once, here: what the event gives each feature it feeds travels to the grain, which folds it as it is.
        var inputs = new FeatureInput[features.Length];
        var fed = 0;
        foreach (var feature in features)
        {
            // An event outside a feature's filters does not feed it, so need not carry its field.
            if (!feature.Meter.Accepts(properties))
            {
                continue;
            }

            if (!PropertyReader.TryRead(properties, feature, out var input, out var propertyError))
            {
                error = propertyError!;
                return false;
            }

            inputs[fed++] = new FeatureInput(feature.Id, input.Number, input.Text, input.UniqueKey);
        }

        var eventIdGiven = !string.IsNullOrEmpty(eventId);
        parsed = new ParsedEvent(customerId, new IngestEvent(
            eventIdGiven ? eventId! : Ids.New("event", time),
            eventName,
            timestamp,
            string.IsNullOrEmpty(source) ? null : source,
            properties.ValueKind == JsonValueKind.Object ? properties.GetRawText() : "{}",
            EventFingerprint.Compute(eventName, properties, timestampGiven ? timestamp : null),
            eventIdGiven,
            string.IsNullOrEmpty(internalCustomerId) ? null : internalCustomerId,
            ImmutableCollectionsMarshal.AsImmutableArray(fed == inputs.Length ? inputs : inputs[..fed])));
        error = "";
        return true;
    }

    /// <summary>PostgreSQL keeps microseconds: cut there, so a replayed event equals the one first counted.</summary>
    private static DateTime ToMicroseconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);

    private static bool TryString(JsonElement json, string name, out string? value, out string error)
    {
        value = null;
        error = "";
        if (!json.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"Invalid field: {name} must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }
}
