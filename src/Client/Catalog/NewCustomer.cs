namespace Flexprice.Client.Catalog;

/// <param name="ExternalId">Your id of the customer, unique in the tenant (409 when taken).</param>
public sealed record NewCustomer(string ExternalId, string? Name = null, string? Email = null, IReadOnlyDictionary<string, string>? Metadata = null);
