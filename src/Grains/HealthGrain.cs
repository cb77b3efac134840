using Orleans.Concurrency;

namespace Flexprice.Grains;

[StatelessWorker]
public sealed class HealthGrain(TimeProvider time) : Grain, IHealthGrain
{
    public Task<DateTimeOffset> Ping() => Task.FromResult(time.GetUtcNow());
}
