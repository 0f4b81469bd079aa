using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Silo.Hosting;

/// <summary>This silo's facts for GET / and GET /health.</summary>
public sealed class WorkerInfo(string groupId, string clusterId) : IWorkerInfo
{
    public const string Version = OrleansConnect.Connect.Plugins.AppInfo.KafkaVersion;

    public ServerInfo ServerInfo { get; } = new(Version, typeof(WorkerInfo).Assembly.GetName().Version?.ToString() ?? "unknown", clusterId);

    public string GroupId { get; } = groupId;

    private volatile bool _ready;
    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
