namespace Flexprice.Client.Usage;

/// <summary>A customer's usage of every feature, all time or over <c>[StartTime, EndTime)</c>.</summary>
public sealed record CustomerUsage(string ExternalCustomerId, IReadOnlyList<FeatureUsage> Features, DateTime? StartTime = null, DateTime? EndTime = null)
{
    /// <summary>The usage of the feature named <paramref name="featureName"/>, or null.</summary>
    public FeatureUsage? this[string featureName] => Features.FirstOrDefault(f => f.FeatureName == featureName);
}
