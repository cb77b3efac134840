using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Client;

public static class MeteredTenant
{
    /// <summary>A new tenant with a SUM (<c>credits</c>) and a COUNT (<c>calls</c>) feature on <c>model.usage</c>, and these customers.</summary>
    public static async Task<TenantClient> NewMeteredTenantAsync(this ApiFactory api, IEnumerable<string> customers)
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "calls");
        foreach (var customer in customers)
        {
            await tenant.CreateCustomerAsync(customer);
        }

        return tenant;
    }
}
