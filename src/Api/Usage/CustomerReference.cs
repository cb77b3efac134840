using Flexprice.Grains.Storage;

namespace Flexprice.Api.Usage;

/// <summary>The customer a read route asks about, as an external id (null: none named, the whole tenant), or the 400 that refuses the request.</summary>
public readonly record struct CustomerResolution(string? ExternalCustomerId, IResult? Error);

/// <summary>
/// Flexprice's read routes name a customer by Flexprice's own id (<c>customer_id</c>, <c>cust_…</c>), by the
/// client's id (<c>external_customer_id</c>), or both. Both resolve within the caller's tenant to the external id
/// that usage and events are kept under; a <c>customer_id</c> is never ignored.
/// </summary>
public static class CustomerReference
{
    public static async Task<CustomerResolution> ResolveAsync(
        CustomerStore store, string tenantId, string? customerId, string? externalCustomerId, CancellationToken cancellationToken)
    {
        externalCustomerId = string.IsNullOrEmpty(externalCustomerId) ? null : externalCustomerId;
        if (string.IsNullOrEmpty(customerId))
        {
            return new(externalCustomerId, null);
        }

        var customer = await store.GetCustomerAsync(tenantId, customerId, cancellationToken);
        if (customer is null)
        {
            return new(null, Errors.BadRequest(NotFound(customerId)));
        }

        if (externalCustomerId is not null && externalCustomerId != customer.ExternalId)
        {
            return new(null, Errors.BadRequest(
                $"Invalid customer: customer_id '{ErrorMessages.Echo(customerId)}' is not the customer with external_customer_id '{ErrorMessages.Echo(externalCustomerId)}'"));
        }

        return new(customer.ExternalId, null);
    }

    public static string NotFound(string customerId) => $"Customer with customer_id '{ErrorMessages.Echo(customerId)}' not found";
}
