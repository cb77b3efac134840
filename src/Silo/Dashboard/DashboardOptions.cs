namespace Flexprice.Silo.Dashboard;

/// <summary>The Orleans Dashboard (configuration section <c>Dashboard</c>); off unless <c>Dashboard__Enabled=true</c>.</summary>
public sealed class FlexpriceDashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>
    /// On: silos collect grain statistics (a grain call filter on every call, so it costs a little
    /// throughput) and API nodes serve the dashboard at <see cref="Path"/> to admin keys of the default tenant.
    /// </summary>
    public bool Enabled { get; set; }

    public string Path { get; set; } = "/dashboard";

    /// <summary>How long a dashboard sign-in lasts.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
