using System.Collections.Immutable;

namespace Flexprice.Grains;

public sealed class RejectionLogGrain : Grain, IRejectionLogGrain
{
    private readonly Queue<Rejection> _rejections = new();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Keep the log through idle periods: an operator looks at it after the fact.
        DelayDeactivation(TimeSpan.FromHours(24));
        return Task.CompletedTask;
    }

    public Task Record(Rejection rejection)
    {
        _rejections.Enqueue(rejection);
        while (_rejections.Count > IRejectionLogGrain.Capacity)
        {
            _rejections.Dequeue();
        }

        return Task.CompletedTask;
    }

    public Task<ImmutableArray<Rejection>> List() => Task.FromResult(_rejections.Reverse().ToImmutableArray());
}
