using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Worker;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Registry;

/// <summary>Lists plugins, describes their configs and validates connector configs (key "local").</summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class PluginsGrain(ConnectWorker worker, ConnectorConfigValidator validator) : Grain, IPluginsGrain
{
    public Task<List<PluginInfo>> ListPlugins(bool connectorsOnly) => Task.FromResult(worker.Plugins.Plugins
        .Where(p => !connectorsOnly || p.Type is PluginType.Sink or PluginType.Source)
        .Select(p => new PluginInfo(p.ClassName, p.Type.ToConnectName(), p.Version is null or "undefined" ? null : p.Version))
        .ToList());

    public Task<List<ConfigKeyInfo>> GetPluginConfig(string plugin)
    {
        var desc = worker.Plugins.FindAny(plugin) ?? throw new NotFoundException($"Unknown plugin {plugin}.");
        var own = worker.Plugins.ConfigDefOf(desc);
        var keys = own.Keys.Select(ConnectorConfigValidator.ToKeyInfo).ToList();
        if (desc.Type is PluginType.Sink or PluginType.Source)
        {
            var framework = ConnectorConfig.ForType(desc.Type == PluginType.Sink);
            keys.AddRange(framework.Keys.Where(k => !own.ConfigKeys.ContainsKey(k.Name)).Select(ConnectorConfigValidator.ToKeyInfo));
        }
        return Task.FromResult(keys);
    }

    public async Task<ConfigInfos> Validate(string plugin, Dictionary<string, string?> config)
    {
        if (config.TryGetValue(ConnectorConfig.ConnectorClass, out var cls) && cls is not null)
        {
            if (!Normalize(cls).EndsWith(Normalize(plugin), StringComparison.Ordinal))
                throw new BadRequestException($"Included connector type {cls} does not match request type {plugin}");
        }
        return (await validator.ValidateAsync(config)).Infos;
    }

    public Task ValidateForStore(Dictionary<string, string> config) =>
        validator.ValidateForStoreAsync(config.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));

    private static string Normalize(string name) =>
        name.EndsWith("Connector", StringComparison.Ordinal) ? name[..^"Connector".Length] : name;
}
