namespace Flexprice.Api.Events;

/// <summary>Which ingestion route a request came by (part of an Idempotency-Key's request hash).</summary>
public enum IngestRoute
{
    Single = 1,
    Bulk = 2,
}
