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
        // Bounded whatever the caller sends: at most 512 characters of text, 1 KiB in memory, per entry.
        _rejections.Enqueue(rejection with
        {
            Route = Cut(rejection.Route, IRejectionLogGrain.MaxRouteChars),
            Reason = Cut(rejection.Reason, IRejectionLogGrain.MaxReasonChars),
            RequestHead = Cut(rejection.RequestHead, IRejectionLogGrain.MaxHeadChars),
        });
        while (_rejections.Count > IRejectionLogGrain.Capacity)
        {
            _rejections.Dequeue();
        }

        return Task.CompletedTask;
    }

    private static string Cut(string text, int max) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];

    public Task<ImmutableArray<Rejection>> List() => Task.FromResult(_rejections.Reverse().ToImmutableArray());
}
