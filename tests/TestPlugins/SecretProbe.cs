using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.TestPlugins;

/// <summary>A source that produces nothing: its connector instance and its task each write the values they were started
/// with to probe.file (".connector" and ".task"), so a test sees what reached them inside the silo.</summary>
public sealed class SecretProbeSourceConnector : SourceConnector
{
    private static readonly ConfigDef Definition = new ConfigDef()
        .Define("probe.file", ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.High, "Where the connector and task write what they saw.")
        .Define("probe.secret", ConfigType.Password, null, null, Importance.High, "A PASSWORD value.")
        .Define("probe.value", ConfigType.String, null, null, Importance.Medium, "A plain value (e.g. a config provider reference).");

    private Dictionary<string, string> _props = [];

    public override string Version => "1.0";
    public override ConfigDef Config => Definition;
    public override Type TaskClass => typeof(SecretProbeSourceTask);

    public override async Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _props = props.ToDictionary();
        await SecretProbeSourceTask.WriteAsync(props["probe.file"] + ".connector", props, ct);
    }

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => [_props.ToDictionary()];

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

public sealed class SecretProbeSourceTask : SourceTask
{
    public override string Version => "1.0";

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct) =>
        WriteAsync(props["probe.file"] + ".task", props, ct);

    public override async Task<IReadOnlyList<SourceRecord>?> PollAsync(CancellationToken ct)
    {
        await Task.Delay(200, ct);
        return null;
    }

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    internal static Task WriteAsync(string path, IReadOnlyDictionary<string, string> props, CancellationToken ct) =>
        File.WriteAllTextAsync(path, $"secret={props.GetValueOrDefault("probe.secret")}\nvalue={props.GetValueOrDefault("probe.value")}\n", ct);
}

/// <summary>A provider from plugin.path, as a Vault provider would be: ${vault:path:key} is "vault:&lt;path&gt;:&lt;key&gt;"
/// with the configured prefix parameter.</summary>
public sealed class TestVaultConfigProvider : IConfigProvider
{
    private string _prefix = "";

    public void Configure(IReadOnlyDictionary<string, string> parameters) => _prefix = parameters.GetValueOrDefault("prefix", "");

    public Task<ConfigData> GetAsync(string path, IReadOnlySet<string> keys, CancellationToken cancellationToken) =>
        Task.FromResult(new ConfigData(keys.ToDictionary(k => k, k => $"{_prefix}{path}:{k}")));

    public void Dispose() { }
}
