using Orleans.Runtime;

namespace Flexprice.Tests.Persistence;

/// <summary>Which persistent-state facet of <see cref="ProbeGrain"/> an operation targets.</summary>
public enum ProbeSlot
{
    /// <summary>State "probe" in provider <see cref="ProbeGrain.Store"/>.</summary>
    Main,

    /// <summary>State "probe-b" in the same provider: a second state name.</summary>
    Second,

    /// <summary>State "probe-del" in <see cref="ProbeGrain.DeleteStore"/> (DeleteStateOnClear = true).</summary>
    DeleteOnClear,

    /// <summary>State "probe" in <see cref="ProbeGrain.OtherServiceStore"/>, whose ServiceId differs.</summary>
    OtherService,
}

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

/// <summary>What a facet holds after an operation.</summary>
[GenerateSerializer]
public sealed record ProbeView([property: Id(0)] string? Value, [property: Id(1)] string? ETag, [property: Id(2)] bool RecordExists);

public interface IProbe : IGrain
{
    Task<ProbeView> Get(ProbeSlot slot);

    Task<ProbeView> Set(ProbeSlot slot, string value);

    Task<ProbeView> Clear(ProbeSlot slot);
}

public interface IGuidProbeGrain : IProbe, IGrainWithGuidKey;

public interface IGuidCompoundProbeGrain : IProbe, IGrainWithGuidCompoundKey;

public interface ILongProbeGrain : IProbe, IGrainWithIntegerKey;

public interface ILongCompoundProbeGrain : IProbe, IGrainWithIntegerCompoundKey;

public interface IStringProbeGrain : IProbe, IGrainWithStringKey;

/// <summary>A grain whose state lives in the ADO.NET grain storage provider under test.</summary>
public sealed class ProbeGrain(
    [PersistentState(ProbeGrain.MainState, ProbeGrain.Store)] IPersistentState<ProbeState> main,
    [PersistentState(ProbeGrain.SecondState, ProbeGrain.Store)] IPersistentState<ProbeState> second,
    [PersistentState(ProbeGrain.DeleteState, ProbeGrain.DeleteStore)] IPersistentState<ProbeState> deleteOnClear,
    [PersistentState(ProbeGrain.MainState, ProbeGrain.OtherServiceStore)] IPersistentState<ProbeState> otherService)
    : Grain, IGuidProbeGrain, IGuidCompoundProbeGrain, ILongProbeGrain, ILongCompoundProbeGrain, IStringProbeGrain
{
    public const string Store = "pg";
    public const string DeleteStore = "pg-delete";
    public const string OtherServiceStore = "pg-other";
    public const string MainState = "probe";
    public const string SecondState = "probe-b";
    public const string DeleteState = "probe-del";

    public Task<ProbeView> Get(ProbeSlot slot) => Task.FromResult(View(Facet(slot)));

    public async Task<ProbeView> Set(ProbeSlot slot, string value)
    {
        var facet = Facet(slot);
        facet.State.Value = value;
        await facet.WriteStateAsync();
        return View(facet);
    }

    public async Task<ProbeView> Clear(ProbeSlot slot)
    {
        var facet = Facet(slot);
        await facet.ClearStateAsync();
        return View(facet);
    }

    private IPersistentState<ProbeState> Facet(ProbeSlot slot) => slot switch
    {
        ProbeSlot.Main => main,
        ProbeSlot.Second => second,
        ProbeSlot.DeleteOnClear => deleteOnClear,
        ProbeSlot.OtherService => otherService,
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };

    private static ProbeView View(IPersistentState<ProbeState> facet) => new(facet.State.Value, facet.Etag, facet.RecordExists);
}

/// <summary>A stateless grain for checking that a client can reach the cluster.</summary>
public interface IPingGrain : IGrainWithGuidKey
{
    Task<string> Ping();
}

public sealed class PingGrain : Grain, IPingGrain
{
    public Task<string> Ping() => Task.FromResult(this.GetPrimaryKey().ToString());
}
