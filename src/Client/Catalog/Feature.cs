namespace Flexprice.Client.Catalog;

public sealed record Feature(string Id, string Name, string Type, string MeterId, Meter Meter, DateTime CreatedAt);
