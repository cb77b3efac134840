using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Contracts;

[EveryKey]
public sealed record Pagination(long Total, int Limit, int Offset);

[EveryKey]
public sealed record ListResponse<T>(IReadOnlyList<T> Items, Pagination Pagination);

/// <summary>Values of Flexprice's fields that are the same for every record here.</summary>
public static class FlexpriceFields
{
    /// <summary>Flexprice's status of a live record (its others: <c>archived</c>, <c>deleted</c>).</summary>
    public const string Published = "published";
}
