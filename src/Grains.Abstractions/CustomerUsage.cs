using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A usage figure: a decimal, or the text of a string value (LATEST over string properties).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageValue")]
public readonly record struct UsageValue([property: Id(0)] decimal Number, [property: Id(1)] string? Text)
{
    public static UsageValue Of(decimal number) => new(number, null);

    public static UsageValue OfText(string text) => new(0m, text);

    public override string ToString() => Text ?? Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// All-time usage of one feature by one customer; <see cref="EventCount"/> is the number of events that fed it.
/// <see cref="Partial"/>: the feature is new to the customer and still reading the customer's earlier events (in the
/// background): the figures cover part of the log.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.FeatureUsage")]
public sealed record FeatureUsage(
    [property: Id(0)] FeatureDefinition Feature,
    [property: Id(1)] UsageValue Value,
    [property: Id(2)] long EventCount,
    [property: Id(3)] bool Partial = false);

/// <summary>All-time usage of every feature of the tenant by one customer, including every event acknowledged before the query.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.CustomerUsage")]
public sealed record CustomerUsage(
    [property: Id(0)] string ExternalCustomerId,
    [property: Id(1)] ImmutableArray<FeatureUsage> Features);
