using System.Text.Json;

namespace Flexprice.Client.Catalog;

/// <param name="Id">Flexprice's id of the customer.</param>
/// <param name="ExternalId">Your id of the customer: the <c>external_customer_id</c> of its events.</param>
public sealed record Customer(string Id, string ExternalId, string Name, string? Email, JsonElement? Metadata, DateTime CreatedAt);
