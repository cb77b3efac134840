namespace Flexprice.Grains.Abstractions;

/// <summary>How a feature's meter folds the events it matches into one number.</summary>
[GenerateSerializer]
public enum AggregationType
{
    /// <summary>Number of events (each event id once).</summary>
    Count = 0,

    /// <summary>Exact decimal sum of the field's value.</summary>
    Sum = 1,

    /// <summary>Greatest value of the field.</summary>
    Max = 2,

    /// <summary>Value of the event with the greatest timestamp; ties: the later ingested. Numbers or strings.</summary>
    Latest = 3,

    /// <summary>Number of distinct values of the field: strings compared by value, numbers and booleans by their JSON text.</summary>
    CountUnique = 4,

    /// <summary>Mean of the field's value (sum ÷ events); 0 without events.</summary>
    Avg = 5,

    /// <summary>Smallest value of the field.</summary>
    Min = 6,

    /// <summary>Sum of the field's value times the meter's multiplier (a decimal &gt; 0).</summary>
    SumWithMultiplier = 7,

    /// <summary>Σ value × (period end − timestamp) ÷ (period end − period start): each value persists from its timestamp to the end of the period, prorated.</summary>
    WeightedSum = 8,
}

public static class AggregationTypeNames
{
    /// <summary>The wire name, as Flexprice spells it (COUNT, SUM, MAX, LATEST, COUNT_UNIQUE).</summary>
    public static string ToWireName(this AggregationType type) => type switch
    {
        AggregationType.Count => "COUNT",
        AggregationType.Sum => "SUM",
        AggregationType.Max => "MAX",
        AggregationType.Latest => "LATEST",
        AggregationType.CountUnique => "COUNT_UNIQUE",
        AggregationType.Avg => "AVG",
        AggregationType.Min => "MIN",
        AggregationType.SumWithMultiplier => "SUM_WITH_MULTIPLIER",
        AggregationType.WeightedSum => "WEIGHTED_SUM",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? wireName, out AggregationType type)
    {
        switch (wireName?.Trim().ToUpperInvariant())
        {
            case "COUNT": type = AggregationType.Count; return true;
            case "SUM": type = AggregationType.Sum; return true;
            case "MAX": type = AggregationType.Max; return true;
            case "LATEST": type = AggregationType.Latest; return true;
            case "COUNT_UNIQUE": type = AggregationType.CountUnique; return true;
            case "AVG": type = AggregationType.Avg; return true;
            case "MIN": type = AggregationType.Min; return true;
            case "SUM_WITH_MULTIPLIER": type = AggregationType.SumWithMultiplier; return true;
            case "WEIGHTED_SUM": type = AggregationType.WeightedSum; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Every aggregation a meter or a usage query may use.</summary>
    public static IReadOnlyList<string> WireNames { get; } = ["COUNT", "SUM", "MAX", "LATEST", "COUNT_UNIQUE", "AVG", "MIN", "SUM_WITH_MULTIPLIER", "WEIGHTED_SUM"];
}
