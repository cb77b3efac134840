using Orleans.Concurrency;

namespace Flexprice.Grains;

[StatelessWorker]
public sealed class PingGrain(TimeProvider time) : Grain, IPingGrain
{
    public Task<DateTimeOffset> Ping() => Task.FromResult(time.GetUtcNow());
}
