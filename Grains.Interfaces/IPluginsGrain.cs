using Orleans;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>The plugins this silo knows and config validation (Connect's Plugins + AbstractHerder.validateConnectorConfig).
/// Key: "local".</summary>
[Alias("oc.IPluginsGrain")]
public interface IPluginsGrain : IGrainWithStringKey
{
    /// <summary>connectorsOnly: sink and source connectors only; otherwise all six plugin types.</summary>
    Task<List<PluginInfo>> ListPlugins(bool connectorsOnly);

    /// <summary>404 "Unknown plugin {plugin}." if unknown.</summary>
    Task<List<ConfigKeyInfo>> GetPluginConfig(string plugin);

    /// <summary>Validation as PUT /connector-plugins/{plugin}/config/validate answers it (always the ConfigInfos;
    /// 400 on a type mismatch, 400 without connector.class or with an unknown class).</summary>
    Task<ConfigInfos> Validate(string plugin, Dictionary<string, string?> config);

    /// <summary>The validation a create or update runs: 400 with Connect's "Connector configuration is invalid and
    /// contains the following N error(s)" message when the config has errors.</summary>
    Task ValidateForStore(Dictionary<string, string> config);
}
