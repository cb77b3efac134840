namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Grain references by key, each made once per host. <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c> works
/// out the interface's type name on every call (Orleans 10.4.2 does not cache it: type-name parsing
/// was about a tenth of what an ingest request allocated). A reference is immutable and bound to this
/// host's runtime, so one per key serves every request here. Bounded: when full it starts over.
/// </summary>
public sealed class GrainRefs(IGrainFactory grains)
{
    private readonly ClearingCache<(Type Interface, string Key), IAddressable> _references = new(100_000);

    public T Get<T>(string key)
        where T : IGrainWithStringKey
    {
        if (_references.TryGet((typeof(T), key), out var known))
        {
            return (T)known;
        }

        var made = grains.GetGrain<T>(key);
        _references.Add((typeof(T), key), made);
        return made;
    }
}
