using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Worker;

/// <summary>Builds a connector's converters as Connect does: the connector's own key.converter /
/// value.converter / header.converter with its prefixed settings, else the worker's with the worker's.</summary>
public static class ConverterFactory
{
    public static IConverter CreateConverter(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig, bool isKey)
    {
        var key = isKey ? WorkerConfig.KeyConverter : WorkerConfig.ValueConverter;
        var (className, settings) = Resolve(worker, connectorConfig, key);
        var desc = worker.Plugins.Find(className, PluginType.Converter)
            ?? throw new ConfigException(key, className, "Class " + className + " could not be found.");
        var converter = worker.Plugins.Instantiate<IConverter>(desc);
        converter.Configure(settings, isKey);
        return converter;
    }

    public static IHeaderConverter CreateHeaderConverter(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig)
    {
        var (className, settings) = Resolve(worker, connectorConfig, WorkerConfig.HeaderConverter);
        var desc = worker.Plugins.Find(className, PluginType.HeaderConverter)
            ?? throw new ConfigException(WorkerConfig.HeaderConverter, className, "Class " + className + " could not be found.");
        var converter = worker.Plugins.Instantiate<IHeaderConverter>(desc);
        settings.TryAdd("converter.type", "header");
        converter.Configure(settings);
        return converter;
    }

    private static (string ClassName, Dictionary<string, string?> Settings) Resolve(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig, string key)
    {
        var prefix = key + ".";
        if (connectorConfig.TryGetValue(key, out var cls) && !string.IsNullOrWhiteSpace(cls))
        {
            return (cls.Trim(), connectorConfig.WithPrefixStripped(prefix));
        }
        return (worker.Config.GetClass(key)!, worker.Config.OriginalsWithPrefix(prefix));
    }
}
