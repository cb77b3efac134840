namespace Flexprice.Grains.Storage;

/// <param name="Address">Flexprice's address fields, as given; null when none was.</param>
public sealed record CustomerRecord(
    string Id, string TenantId, string ExternalId, string Name, string? Email, string? MetadataJson, DateTime CreatedAt, CustomerAddress? Address = null);

/// <summary>A customer's postal address as Flexprice holds it: every line optional, stored as given.</summary>
public sealed record CustomerAddress(string? Line1, string? Line2, string? City, string? State, string? PostalCode, string? Country)
{
    public static readonly CustomerAddress None = new(null, null, null, null, null, null);

    public bool IsEmpty => this == None;
}

/// <summary>A column a customer search sorts by, and the direction.</summary>
public sealed record CustomerSort(CustomerSortField Field, bool Descending);

public enum CustomerSortField
{
    CreatedAt,
    Name,
    ExternalId,
    Email,
}

/// <summary>
/// What a customer search asks, every criterion optional (null: any). A list matches any of its values; the
/// criteria are ANDed. <see cref="CreatedFrom"/>/<see cref="CreatedTo"/>: [from, to) on the creation time.
/// Sorted by <see cref="Sort"/> in turn, then by id.
/// </summary>
public sealed record CustomerSearch(
    IReadOnlyList<string>? Ids,
    IReadOnlyList<string>? ExternalIds,
    string? Email,
    DateTime? CreatedFrom,
    DateTime? CreatedTo,
    IReadOnlyList<CustomerSort> Sort,
    int Limit,
    int Offset)
{
    /// <summary>Every customer, newest first.</summary>
    public static CustomerSearch All(int limit, int offset) => new(null, null, null, null, null, [new CustomerSort(CustomerSortField.CreatedAt, true)], limit, offset);
}
