namespace Flexprice.Grains.State;

/// <summary>
/// How many recent event ids all customer grains of a silo remember together (<c>CustomerGrain__RecentEventIdsPerSilo</c>):
/// each grain's memory is bounded on its own (<c>CustomerGrain__RecentEventIds</c>), and this bounds their sum, so that
/// many active customers cannot grow a silo's memory without end. Past it a grain forgets its oldest id to remember a
/// new one, which only sends duplicate checks of client-named ids to the database.
/// </summary>
public sealed class RecentIdsBudget(long capacity)
{
    private long _used;

    public long Capacity { get; } = capacity;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>Takes a slot if one is left.</summary>
    public bool TryTake()
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used >= Capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, used + 1, used) == used)
            {
                return true;
            }
        }
    }

    public void Give(long slots) => Interlocked.Add(ref _used, -slots);
}
