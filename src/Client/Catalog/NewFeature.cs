namespace Flexprice.Client.Catalog;

/// <summary>A metered feature to create. Several features may share an event name; a feature counts earlier events too.</summary>
public sealed record NewFeature(string Name, Meter Meter, string Type = "metered");
