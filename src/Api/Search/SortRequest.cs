namespace Flexprice.Api.Search;

/// <summary>One sort criterion of a search: <c>{"field": "created_at", "direction": "desc"}</c>.</summary>
public sealed record SortRequest(string Field, string? Direction);
