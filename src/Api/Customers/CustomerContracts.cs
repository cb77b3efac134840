using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Customers;

/// <param name="AddressCountry">Stored as given (Flexprice asks for ISO 3166-1 alpha-2).</param>
public sealed record CreateCustomerRequest(
    string ExternalId, string? Name, string? Email, JsonElement? Metadata,
    string? AddressLine1 = null, string? AddressLine2 = null, string? AddressCity = null, string? AddressState = null,
    string? AddressPostalCode = null, string? AddressCountry = null);

/// <summary>
/// A customer, with every field of Flexprice's customer model. Customers here have no parents, environments
/// or authors (those fields are null) and are never changed after creation (<see cref="UpdatedAt"/> is <see cref="CreatedAt"/>).
/// </summary>
[EveryKey]
public sealed record CustomerResponse(
    string Id, string ExternalId, string Name, string? Email, JsonElement? Metadata, DateTime CreatedAt,
    string? AddressLine1, string? AddressLine2, string? AddressCity, string? AddressState, string? AddressPostalCode, string? AddressCountry,
    string TenantId)
{
    /// <summary>Always <c>published</c>: customers are never archived or deleted here.</summary>
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;

    public string? ParentCustomerId => null;

    public CustomerResponse? ParentCustomer => null;
}
