using System.Net;
using Flexprice.Grains;
using Flexprice.Grains.State;
using Flexprice.Grains.RateLimiting;
using Flexprice.Grains.Storage;
using Flexprice.Silo.Dashboard;
using Flexprice.Silo.Telemetry;
using Flexprice.Silo.Schema;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization.Configuration;

namespace Flexprice.Silo;

/// <summary>How a process hosts the Flexprice silo: ADO.NET clustering and grain storage in PostgreSQL, schema applied first.</summary>
public static class SiloHosting
{
    public const string AdoNetInvariant = "Npgsql";

    /// <summary>The connection string (<c>ConnectionStrings__Postgres</c>); required.</summary>
    public static string PostgresConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("Set ConnectionStrings__Postgres (scripts/run starts a private PostgreSQL and sets it for you).");

    /// <summary>The <c>Orleans</c> section as read now (for decisions taken before the container is built).</summary>
    public static OrleansHostingOptions OrleansHosting(this IConfiguration configuration) =>
        configuration.GetSection(OrleansHostingOptions.Section).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();

    /// <summary>
    /// Joins this process to the cluster the way <c>Orleans:Mode</c> says: <c>silo</c> (the default) co-hosts
    /// a silo; <c>client</c> is an Orleans client of the cluster's silos, found through ADO.NET clustering
    /// in the same database (an API node in front of separate silos).
    /// </summary>
    public static IHostApplicationBuilder AddFlexpriceOrleans(this IHostApplicationBuilder builder) =>
        builder.Configuration.OrleansHosting().IsClient
            ? builder.AddFlexpriceClient()
            : builder.AddFlexpriceSilo();

    /// <summary>
    /// An Orleans client of the cluster <c>Orleans:ClusterId</c>/<c>Orleans:ServiceId</c>, its gateways read
    /// from the membership table. The silos apply the schema and the bootstrap key; the client waits for
    /// them (up to <c>Orleans:ClientConnectTimeout</c>, 30 s) when it starts.
    /// </summary>
    public static IHostApplicationBuilder AddFlexpriceClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddFlexpriceGrainServices();
        builder.UseOrleansClient(client =>
        {
            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<OrleansHostingOptions>>(ConfigureClusterIdentity);
            client.UseAdoNetClustering(options => options.Configure<IConfiguration>((o, configuration) =>
                (o.Invariant, o.ConnectionString) = (AdoNetInvariant, configuration.PostgresConnectionString())));
            client.UseConnectionRetryFilter<ConnectUntilTimeout>();
            client.UseFlexpriceTls();
            client.Services.AddOptions<GatewayOptions>()
                .Configure(GatewayDefaults)
                .BindConfiguration("Orleans:Gateway");
            client.Services.AddOptions<ClientMessagingOptions>().BindConfiguration("Orleans:Messaging");
            if (builder.Configuration.TracingEnabled())
            {
                client.AddActivityPropagation();
            }

            client.AddFlexpriceDashboard(builder.Configuration);
        });
        return builder;
    }

    /// <summary>
    /// Hosts a silo in this process. Configuration: <c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>,
    /// <c>Orleans:SiloPort</c> (11111), <c>Orleans:GatewayPort</c> (30000), <c>Orleans:AdvertisedIP</c>,
    /// <c>Orleans:Tls:*</c> (<see cref="OrleansTlsOptions"/>).
    /// </summary>
    public static IHostApplicationBuilder AddFlexpriceSilo(this IHostApplicationBuilder builder)
    {
        // Registered before the silo so that it starts first: the providers read their queries at start.
        builder.Services.AddHostedService<DatabaseStartup>();
        builder.Services.AddFlexpriceGrainServices();
        // Partitions made ahead, and retention (Retention:*), on every silo.
        builder.Services.AddHostedService<Maintenance.EventLogMaintenanceService>();

        // Every setting is read when the container resolves it, not now, so that hosts that add
        // configuration late (tests, WebApplicationFactory) are honoured.
        builder.UseOrleans(silo =>
        {
            silo.Services.AddOptions<ClusterOptions>().Configure<IOptions<OrleansHostingOptions>>(ConfigureClusterIdentity);
            silo.Services.AddOptions<EndpointOptions>().Configure<IOptions<OrleansHostingOptions>>((options, settings) =>
            {
                var hosting = settings.Value;
                options.AdvertisedIPAddress = hosting.AdvertisedIP is { Length: > 0 } ip ? IPAddress.Parse(ip) : IPAddress.Loopback;
                options.SiloPort = hosting.SiloPort;
                options.GatewayPort = hosting.GatewayPort;
                if (hosting.ListenOnAnyHostAddress)
                {
                    options.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, options.SiloPort);
                    options.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, options.GatewayPort);
                }
            });
            silo.UseAdoNetClustering(options => options.Configure<IConfiguration>((o, configuration) =>
                (o.Invariant, o.ConnectionString) = (AdoNetInvariant, configuration.PostgresConnectionString())));
            // Failure detection and defunct-row cleanup (Orleans:Membership:*, e.g. ProbeTimeout,
            // NumMissedProbesLimit, DefunctSiloExpiration); Orleans' defaults unless set.
            silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration("Orleans:Membership");
            silo.Services.AddOptions<SiloMessagingOptions>().BindConfiguration("Orleans:Messaging");
            silo.UseFlexpriceTls();
            silo.AddFlexpriceGrainStorage();
            if (builder.Configuration.TracingEnabled())
            {
                silo.AddActivityPropagation();
            }

            silo.AddFlexpriceDashboard(builder.Configuration);
        });
        return builder;
    }

    /// <summary>Silos and clients of one deployment share these: <c>Orleans:ClusterId</c> and <c>Orleans:ServiceId</c>, both <c>flexprice</c> by default.</summary>
    private static void ConfigureClusterIdentity(ClusterOptions options, IOptions<OrleansHostingOptions> settings) =>
        (options.ClusterId, options.ServiceId) = (settings.Value.ClusterId, settings.Value.ServiceId);

    /// <summary>An API node's gateway defaults, under <c>Orleans:Gateway</c>: a silo that joins (or comes back) is used within seconds, not after Orleans' default minute.</summary>
    public static void GatewayDefaults(GatewayOptions options) => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The grain storage for customer checkpoints (ADO.NET, PostgreSQL, <c>ConnectionStrings:Postgres</c>).</summary>
    public static ISiloBuilder AddFlexpriceGrainStorage(this ISiloBuilder silo)
    {
        // The storage's JSON serializer writes each object's .NET type name and, on reading, resolves
        // only allow-listed names: without this a checkpoint is written but can never be read back,
        // and the customer's grain fails to activate.
        silo.Services.Configure<TypeManifestOptions>(options =>
        {
            options.AddAllowedType(typeof(CustomerUsageState));
            options.AddAllowedType(typeof(FeatureAggregate));
        });
        return silo.AddAdoNetGrainStorage(StorageNames.Checkpoints, options => options.Configure<IConfiguration>((o, configuration) =>
        {
            o.Invariant = AdoNetInvariant;
            o.ConnectionString = configuration.PostgresConnectionString();
        }));
    }

    /// <summary>What the grains need from the container: the database, the stores, options and a clock.</summary>
    public static IServiceCollection AddFlexpriceGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<OrleansHostingOptions>().BindConfiguration(OrleansHostingOptions.Section);
        services.AddOptions<StorageReadOptions>().BindConfiguration(StorageReadOptions.Section);
        services.TryAddSingleton(sp => FlexpriceDatabase.Create(
            sp.GetRequiredService<IConfiguration>().PostgresConnectionString(), sp.GetRequiredService<IOptions<StorageReadOptions>>().Value));
        services.TryAddSingleton<EventLogPartitions>();
        services.TryAddSingleton<EventLogMaintenance>();
        services.AddOptions<EventLogRetentionOptions>().BindConfiguration(EventLogRetentionOptions.Section);
        services.TryAddSingleton<EventLogAppender>();
        services.TryAddSingleton<CustomerEventLog>();
        services.TryAddSingleton<DistinctValues>();
        services.TryAddSingleton<EventQueries>();
        services.TryAddSingleton<EventLogWriter>();
        services.AddOptions<EventLogWriterOptions>().BindConfiguration(nameof(EventLogWriter));
        services.TryAddSingleton<TenantStore>();
        services.TryAddSingleton<CustomerStore>();
        services.TryAddSingleton<FeatureStore>();
        services.TryAddSingleton<IdempotencyKeys>();
        services.AddOptions<CustomerGrainOptions>().BindConfiguration(CustomerGrainOptions.Section);
        services.TryAddSingleton(sp => new HotEventsBudget(sp.GetRequiredService<IOptions<CustomerGrainOptions>>().Value.HotMaxBytesPerSilo));
        services.TryAddSingleton(sp => new RecentIdsBudget(sp.GetRequiredService<IOptions<CustomerGrainOptions>>().Value.RecentEventIdsPerSilo));
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        return services;
    }
}

/// <summary>Keeps a client trying to reach a gateway while the silos start, for a bounded time.</summary>
internal sealed class ConnectUntilTimeout(IOptions<OrleansHostingOptions> settings, TimeProvider time) : IClientConnectionRetryFilter
{
    private DateTimeOffset? _deadline;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        _deadline ??= time.GetUtcNow() + settings.Value.ClientConnectTimeout;
        if (time.GetUtcNow() >= _deadline)
        {
            return false;
        }

        await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
        return true;
    }
}

/// <summary>Applies the schema and ensures the bootstrap API key before anything else starts.</summary>
internal sealed class DatabaseStartup(IConfiguration configuration, TenantStore tenants) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await DatabaseSchema.ApplyAsync(configuration.PostgresConnectionString(), cancellationToken);
        if (configuration["FLEXPRICE_BOOTSTRAP_API_KEY"] is { Length: > 0 } bootstrapKey)
        {
            await tenants.EnsureBootstrapKeyAsync(bootstrapKey, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
