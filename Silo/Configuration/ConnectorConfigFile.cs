using OrleansConnect.Connect.Config;
using System.Text.Json;

namespace OrleansConnect.Silo.Configuration;

/// <summary>A connector config given on the command line: JSON as POST /connectors takes it
/// ({"name": …, "config": {…}}, or a bare config map with "name"), or .properties as connect-standalone takes it.</summary>
public sealed record ConnectorConfigFile(string Name, Dictionary<string, string> Config)
{
    public static ConnectorConfigFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Connector config file '{path}' does not exist.", path);
        Dictionary<string, string> config;
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: expected a JSON object.");
            var configElement = root.TryGetProperty("config", out var c) ? c : root;
            if (configElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: \"config\" must be a JSON object.");
            config = [];
            foreach (var property in configElement.EnumerateObject())
            {
                config[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                    _ => throw new FormatException($"{path}: the value of \"{property.Name}\" must be a string."),
                };
            }
            if (root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String) config.TryAdd("name", n.GetString()!.Trim());
        }
        else
        {
            config = PropertiesFile.Load(path);
        }
        if (!config.TryGetValue("name", out var name) || string.IsNullOrWhiteSpace(name))
            throw new FormatException($"{path}: the connector config has no name.");
        return new ConnectorConfigFile(name.Trim(), config);
    }
}
