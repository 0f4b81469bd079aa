namespace OrleansConnect.Connect.Transforms.Predicates;

using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;

/// <summary>A condition on records that decides whether a transformation applies (optionally negated by the runtime).</summary>
public interface IPredicate<R> where R : ConnectRecord
{
    void Configure(IReadOnlyDictionary<string, string?> configs);

    bool Test(R record);

    ConfigDef Config { get; }

    void Close();
}
