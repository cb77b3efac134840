using Flexprice.Api.Infrastructure;
using Npgsql;
using Orleans.Runtime;

namespace Flexprice.Tests.Cluster;

/// <summary>What a silo's death or a settling cluster throws at the API is answered 503 (retry), everything else stays a 500.</summary>
public sealed class TransientFaultsTests
{
    public static TheoryData<Exception> Transient() =>
    [
        new SiloUnavailableException("silo gone"),
        new TimeoutException("Response did not arrive on time"),
        new NpgsqlException("connection refused"),
        new OrleansException("membership settling"),
        new TaskCanceledException(),
        new AggregateException(new InvalidOperationException("x"), new SiloUnavailableException("silo gone")),
        new InvalidOperationException("wrapper", new TimeoutException("inner")),
    ];

    public static TheoryData<Exception> Faults() =>
    [
        new InvalidOperationException("a bug"),
        new NullReferenceException(),
        new AggregateException(new ArgumentException("a bug")),
    ];

    [Theory]
    [MemberData(nameof(Transient))]
    public void Cluster_and_database_faults_are_transient(Exception fault) => Assert.True(TransientFaults.IsTransient(fault));

    [Theory]
    [MemberData(nameof(Faults))]
    public void Bugs_are_not_transient(Exception fault) => Assert.False(TransientFaults.IsTransient(fault));
}
