namespace Flexprice.Grains.State;

/// <summary>
/// The bytes of recent events that all customer grains of a silo may hold together
/// (<see cref="CustomerGrainOptions.HotMaxBytesPerSilo"/>). A customer whose addition finds the silo over
/// budget gives up the older half of its own; queries over what it gave up are answered from the log.
/// </summary>
public sealed class HotEventsBudget(long capacity)
{
    private long _used;

    public long Capacity { get; } = capacity;

    public long Used => Interlocked.Read(ref _used);

    public bool IsExceeded => Used > Capacity;

    public void Take(long bytes) => Interlocked.Add(ref _used, bytes);

    public void Give(long bytes) => Interlocked.Add(ref _used, -bytes);
}
