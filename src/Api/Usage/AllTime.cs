namespace Flexprice.Api.Usage;

/// <summary>The widest range a usage query takes: every event there can be.</summary>
public static class AllTime
{
    public static readonly DateTime Start = new(1, 1, 2, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateTime End = new(9999, 12, 30, 0, 0, 0, DateTimeKind.Utc);
}
