using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Security;

/// <summary>file.allowed.paths for Kafka's FileStreamSource and FileStreamSink: their "file" must lie below one of the
/// directories. Checked when a config is validated (400 at create) and again when a task starts (a file named through a
/// config provider reference, or a config stored before the worker set the key).</summary>
public static class FileStreamConfinement
{
    private static readonly HashSet<string> FileStreamClasses = new(StringComparer.Ordinal)
    {
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "org.apache.kafka.connect.file.FileStreamSinkConnector",
    };

    /// <summary>Null when allowed (no confinement, not a FileStream connector, stdin/stdout, or a reference resolved
    /// later), else the message.</summary>
    public static string? Refusal(PluginDesc? connector, string? file, PathConfinement allowed)
    {
        if (!allowed.Enabled || connector is null || !FileStreamClasses.Contains(connector.ClassName)) return null;
        if (string.IsNullOrWhiteSpace(file) || ConfigVariables.HasVariables(file)) return null;
        file = file.Trim();
        bool ok;
        try { ok = allowed.IsAllowed(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigException) { ok = false; }
        return ok ? null
            : $"File {file} is outside this worker's file.allowed.paths ({string.Join(", ", allowed.Directories)}): "
              + "FileStream connectors may only read and write below those directories";
    }
}
