using OrleansConnect.Connect.Connector;
using OrleansConnect.Grains.Config;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Grains.Security;

namespace OrleansConnect.Grains.Connectors;

/// <summary>Turns a running connector's <c>TaskConfigs(tasks.max)</c> into the task configs a connector stores and
/// assigns, as Kafka's worker does: at most tasks.max (unless tasks.max.enforce=false), each with <c>task.class</c>, a
/// sink's topics, and resolved config references put back in their <c>${...}</c> form (tasks resolve them again).</summary>
public static class TaskConfigGenerator
{
    /// <param name="connector">The running instance.</param>
    /// <param name="connectorName">The connector's name, for the error message.</param>
    /// <param name="connectorClassName">The class name the registry knows the connector by (its Kafka name when it has one).</param>
    /// <param name="config">The connector's config as stored (secrets decrypted, references unresolved).</param>
    /// <param name="resolvedConfig">The config the instance started with, references resolved.</param>
    /// <param name="isSink">Sink tasks get the connector's topics / topics.regex.</param>
    public static List<Dictionary<string, string>> Generate(Connector connector, string connectorName, string? connectorClassName,
        IReadOnlyDictionary<string, string> config, IReadOnlyDictionary<string, string> resolvedConfig, bool isSink)
    {
        var maxTasks = int.Parse(config.GetValueOrDefault(ConnectorConfig.TasksMax, "1").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var configs = connector.TaskConfigs(maxTasks);
        var enforce = !config.TryGetValue(ConnectorConfig.TasksMaxEnforce, out var e) || !bool.TryParse(e.Trim(), out var enforced) || enforced;
        if (enforce && configs.Count > maxTasks)
            throw new Connect.Errors.ConnectException($"Connector {connectorName} generated {configs.Count} tasks, more than tasks.max ({maxTasks}).");
        var taskClass = TaskClassName(connector, connectorClassName);
        return configs.Select(c => ConfigVariables.Unresolve(WithFrameworkKeys(c, config, taskClass, isSink), config, resolvedConfig)).ToList();
    }

    /// <summary>Whether two lists of task configs are the same (then nothing is written and no task restarts).</summary>
    public static bool Same(IReadOnlyList<IReadOnlyDictionary<string, string>> a, IReadOnlyList<IReadOnlyDictionary<string, string>> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Count == p.Second.Count
            && p.First.All(kv => p.Second.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static Dictionary<string, string> WithFrameworkKeys(IReadOnlyDictionary<string, string> taskConfig, IReadOnlyDictionary<string, string> config,
        string taskClass, bool isSink)
    {
        var result = new Dictionary<string, string>(taskConfig) { ["task.class"] = taskClass };
        if (isSink)
        {
            foreach (var key in new[] { ConnectorConfig.Topics, ConnectorConfig.TopicsRegex })
                if (config.TryGetValue(key, out var value)) result[key] = value;
        }
        return result;
    }

    /// <summary>The task class as Connect names it in task configs: its [PluginName], else, for a connector known by a
    /// Kafka class name, the task's simple name in that package (FileStreamSinkTask is
    /// org.apache.kafka.connect.file.FileStreamSinkTask as in Kafka), else its .NET name.</summary>
    public static string TaskClassName(Connector connector, string? connectorClassName)
    {
        var taskType = connector.TaskClass;
        if (taskType.GetCustomAttributes(typeof(PluginNameAttribute), inherit: false) is [PluginNameAttribute named, ..])
            return named.ClassName;
        var connectorType = connector.GetType();
        if (connectorClassName is not null && taskType.Namespace == connectorType.Namespace && connectorClassName != connectorType.FullName
            && connectorClassName.EndsWith("." + connectorType.Name, StringComparison.Ordinal))
            return connectorClassName[..^connectorType.Name.Length] + taskType.Name;
        return taskType.FullName!.Replace('+', '$');
    }
}
