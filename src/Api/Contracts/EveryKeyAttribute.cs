namespace Flexprice.Api.Contracts;

/// <summary>
/// A body whose every property is written, <c>null</c> included. Flexprice's SDKs validate what they
/// receive against their models, and the TypeScript SDK (zod 4.4 and later) refuses a body that leaves a
/// model's key out even where it accepts <c>null</c>. Bodies without this mark leave nulls out, as the
/// spec's shapes do (the 202 bodies of the ingest routes).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EveryKeyAttribute : Attribute;
