using System.Text.Json;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Customers;

/// <summary>
/// The body of <c>POST /v1/customers/search</c>, Flexprice's <c>CustomerFilter</c>: every criterion optional, all of them
/// ANDed; a list matches any of its values. Sorts by <c>created_at</c>, <c>name</c>, <c>external_id</c> or <c>email</c>
/// (see <see cref="SearchPaging"/>). Customers here have no parents, so <see cref="ParentCustomerIds"/> matches none.
/// </summary>
/// <param name="Email">The customer's e-mail, compared without regard to case.</param>
public sealed record CustomerSearchRequest(
    IReadOnlyList<string>? CustomerIds,
    string? ExternalId,
    IReadOnlyList<string>? ExternalIds,
    string? Email,
    IReadOnlyList<string>? ParentCustomerIds,
    string? Status,
    string? StartTime,
    string? EndTime,
    int? Limit,
    int? Offset,
    string? Order,
    IReadOnlyList<SortRequest>? Sort)
{
    private static readonly Dictionary<string, CustomerSortField> SortFields = new(StringComparer.Ordinal)
    {
        [SearchPaging.CreatedAt] = CustomerSortField.CreatedAt,
        ["name"] = CustomerSortField.Name,
        ["external_id"] = CustomerSortField.ExternalId,
        ["email"] = CustomerSortField.Email,
    };

    /// <param name="anyStatus">False when nothing can match: archived or deleted customers, or children of a parent.</param>
    public static bool TryRead(JsonElement json, out CustomerSearch search, out bool anyStatus, out string error)
    {
        search = null!;
        anyStatus = false;
        if (!SearchPaging.TryRead(json, SortFields.Keys, out var paging, out error)
            || !JsonFields.TryStrings(json, "customer_ids", InputLimits.MaxIdLength, out var ids, out error)
            || !JsonFields.TryString(json, "external_id", InputLimits.MaxIdLength, out var externalId, out error)
            || !JsonFields.TryStrings(json, "external_ids", InputLimits.MaxIdLength, out var externalIds, out error)
            || !JsonFields.TryString(json, "email", InputLimits.MaxNameLength, out var email, out error)
            || !JsonFields.TryStrings(json, "parent_customer_ids", InputLimits.MaxIdLength, out var parents, out error))
        {
            return false;
        }

        // external_id and external_ids both given: a customer must match both.
        if (!string.IsNullOrEmpty(externalId))
        {
            externalIds = externalIds is null ? [externalId] : externalIds.Contains(externalId) ? [externalId] : [];
        }

        anyStatus = paging.AnyStatus && parents is not { Count: > 0 };
        search = new CustomerSearch(
            ids, externalIds, string.IsNullOrEmpty(email) ? null : email, paging.CreatedFrom, paging.CreatedTo,
            [.. paging.Sort.Select(s => new CustomerSort(SortFields[s.Field], s.Descending))], paging.Limit, paging.Offset);
        return true;
    }
}
