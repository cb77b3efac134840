using System.Reflection;
using Flexprice.Api.Events;
using Flexprice.Grains;
using Flexprice.Grains.RateLimiting;
using Flexprice.Grains.Storage;
using Flexprice.Silo;
using Flexprice.Silo.Dashboard;
using Flexprice.Silo.Telemetry;
using Flexprice.Tests.Durability;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;

namespace Flexprice.Tests.Operations;

/// <summary>
/// <c>appsettings.json</c> (the API's and the standalone silo's) lists every setting with its default. The oracle
/// is the code: each options class constructed with <c>new()</c> (Orleans' own options likewise, with the
/// defaults the project sets before binding), so a default changed on one side only fails here.
/// </summary>
public sealed class ConfigurationDefaultsTests
{
    private const string Api = "src/Api/appsettings.json";
    private const string Silo = "src/Silo/appsettings.json";

    /// <summary>
    /// The project's options: the section names are spelled out, since scripts, tests and the README set them
    /// as environment variables (<c>CustomerGrain__CheckpointInterval</c>); a renamed type must not move them.
    /// </summary>
    private static readonly (string Section, string CodeSection, object Defaults, string[] Files)[] ProjectOptions =
    [
        ("CustomerGrain", CustomerGrainOptions.Section, new CustomerGrainOptions(), [Api, Silo]),
        ("EventLogWriter", nameof(EventLogWriter), new EventLogWriterOptions(), [Api, Silo]),
        ("StorageReads", StorageReadOptions.Section, new StorageReadOptions(), [Api, Silo]),
        ("Retention", EventLogRetentionOptions.Section, new EventLogRetentionOptions(), [Api, Silo]),
        ("RateLimits", RateLimitOptions.Section, new RateLimitOptions(), [Api, Silo]),
        ("Idempotency", IdempotencyOptions.Section, new IdempotencyOptions(), [Api]),
        ("Telemetry", TelemetryOptions.Section, new TelemetryOptions(), [Api, Silo]),
        ("Dashboard", FlexpriceDashboardOptions.Section, new FlexpriceDashboardOptions(), [Api, Silo]),
        ("Orleans", OrleansHostingOptions.Section, new OrleansHostingOptions(), [Api, Silo]),
        ("Orleans:Tls", OrleansTlsOptions.Section, new OrleansTlsOptions(), [Api, Silo]),
        ("Silo", SiloHttpOptions.Section, new SiloHttpOptions(), [Silo]),
    ];

    /// <summary>Settings a process of that kind does not read (an API node's, not a standalone silo's).</summary>
    private static readonly Dictionary<string, string[]> NotRead = new()
    {
        [Silo] = ["Orleans:Mode", "Orleans:ClientConnectTimeout"],
        [Api] = [],
    };

    /// <summary>Orleans' own options under <c>Orleans:*</c>: the file lists the settings the scripts and README use.</summary>
    private static IEnumerable<(string Section, object Defaults)> OrleansOptions()
    {
        yield return ("Orleans:Membership", new ClusterMembershipOptions());
        yield return ("Orleans:Messaging", new SiloMessagingOptions());
        yield return ("Orleans:Messaging", new ClientMessagingOptions());
        var gateway = new GatewayOptions();
        SiloHosting.GatewayDefaults(gateway);
        yield return ("Orleans:Gateway", gateway);
    }

    private static IConfigurationRoot Load(string file)
    {
        var root = ApiBinary.RepoRoot() ?? throw new InvalidOperationException("The repository (Flexprice.Orleans.sln) was not found above the test binaries.");
        return new ConfigurationBuilder().AddJsonFile(Path.Combine(root, file), optional: false).Build();
    }

    private static IEnumerable<PropertyInfo> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic);

    [Fact]
    public void Sections_keep_the_names_scripts_and_environment_variables_use()
    {
        foreach (var (section, code, _, _) in ProjectOptions)
        {
            Assert.Equal(section, code);
        }
    }

    [Theory]
    [InlineData(Api)]
    [InlineData(Silo)]
    public void Every_project_setting_is_listed_with_the_default_of_its_options_class(string file)
    {
        var configuration = Load(file);
        var problems = new List<string>();
        foreach (var (sectionName, _, defaults, files) in ProjectOptions)
        {
            var section = configuration.GetSection(sectionName);
            if (!files.Contains(file))
            {
                if (section.Exists())
                {
                    problems.Add($"{sectionName}: listed, but this process does not read it");
                }

                continue;
            }

            var properties = Settings(defaults.GetType()).ToList();
            foreach (var property in properties)
            {
                var key = $"{sectionName}:{property.Name}";
                var listed = section.GetSection(property.Name);
                if (NotRead[file].Contains(key))
                {
                    if (listed.Exists() || listed.Value is not null)
                    {
                        problems.Add($"{key}: listed, but this process does not read it");
                    }

                    continue;
                }

                if (listed.Value is null)
                {
                    problems.Add($"{key}: missing (default {Show(property.GetValue(defaults))})");
                    continue;
                }

                var value = section.GetValue(property.PropertyType, property.Name);
                if (!Same(property.GetValue(defaults), value))
                {
                    problems.Add($"{key}: listed {Show(value)}, the code's default is {Show(property.GetValue(defaults))}");
                }
            }

            // Nothing stale: every leaf key of the section is a setting (sub-sections of Orleans are their own options).
            foreach (var child in section.GetChildren().Where(c => c.Value is not null))
            {
                if (!properties.Any(p => p.Name == child.Key))
                {
                    problems.Add($"{sectionName}:{child.Key}: listed, but no such setting");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData(Api)]
    [InlineData(Silo)]
    public void Listed_Orleans_settings_are_Orleans_defaults_or_the_projects(string file)
    {
        var configuration = Load(file);
        var problems = new List<string>();
        var listedAny = false;
        foreach (var (sectionName, defaults) in OrleansOptions())
        {
            var section = configuration.GetSection(sectionName);
            foreach (var child in section.GetChildren())
            {
                listedAny = true;
                var property = defaults.GetType().GetProperty(child.Key);
                if (property is null || !property.CanWrite)
                {
                    problems.Add($"{sectionName}:{child.Key}: no such setting of {defaults.GetType().Name}");
                    continue;
                }

                var value = section.GetValue(property.PropertyType, child.Key);
                if (!Same(property.GetValue(defaults), value))
                {
                    problems.Add($"{sectionName}:{child.Key}: listed {Show(value)}, the default is {Show(property.GetValue(defaults))} ({defaults.GetType().Name})");
                }
            }
        }

        Assert.True(listedAny, "No Orleans setting listed");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData(Api)]
    [InlineData(Silo)]
    public void Required_plain_settings_are_listed_empty(string file)
    {
        var configuration = Load(file);
        // Read directly, no default: the connection string is required, the bootstrap key optional.
        Assert.Equal("", configuration["ConnectionStrings:Postgres"]);
        Assert.Equal("", configuration["FLEXPRICE_BOOTSTRAP_API_KEY"]);
    }

    private static bool Same(object? expected, object? actual) =>
        Equals(expected, actual) || (expected is string { Length: 0 } or null && actual is string { Length: 0 } or null);

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        TimeSpan t => $"\"{t:c}\"",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
