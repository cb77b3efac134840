using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;

namespace Flexprice.Silo.Dashboard;

/// <summary>
/// The Orleans Dashboard's collection side. Every silo of a cluster must agree (the dashboard's grains
/// and grain service run on the silos); an API node that is an Orleans client only reads through them.
/// </summary>
public static class DashboardHosting
{
    public static FlexpriceDashboardOptions DashboardOptions(this IConfiguration configuration) =>
        configuration.GetSection(FlexpriceDashboardOptions.Section).Get<FlexpriceDashboardOptions>() ?? new FlexpriceDashboardOptions();

    public static ISiloBuilder AddFlexpriceDashboard(this ISiloBuilder silo, IConfiguration configuration) =>
        configuration.DashboardOptions().Enabled ? silo.AddDashboard(Configure) : silo;

    public static IClientBuilder AddFlexpriceDashboard(this IClientBuilder client, IConfiguration configuration) =>
        configuration.DashboardOptions().Enabled ? client.AddDashboard(Configure) : client;

    // The live log stream would show every tenant's log lines to whoever holds the dashboard.
    private static void Configure(DashboardOptions options) => options.HideTrace = true;
}
