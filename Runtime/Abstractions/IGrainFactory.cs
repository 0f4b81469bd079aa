namespace OrleansConnect.Runtime;

/// <summary>Returns references to grains. A reference is cheap; the first call activates the grain
/// on the silo placement chooses.</summary>
public interface IGrainFactory
{
    TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey;
}
