using System.Collections.Concurrent;

namespace Flexprice.Tests.Client;

/// <summary>What the client sent: each attempt's path, status (0: no answer) and, for bulks, how many events it held.</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<(string Path, int Status, int Events)> _attempts = new();

    public IReadOnlyList<(string Path, int Status, int Events)> Attempts => [.. _attempts];

    public void Add(string path, int status, int events) => _attempts.Enqueue((path, status, events));
}
