using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Silo.Hosting;

/// <summary>This silo's facts for GET / and GET /health.</summary>
public sealed class WorkerInfo(string groupId) : IWorkerInfo
{
    public const string Version = OrleansConnect.Connect.Plugins.AppInfo.KafkaVersion;

    // The Kafka cluster id is learnt when the offset store first reaches Kafka, before the REST API serves.
    private volatile ServerInfo _serverInfo = new(Version, typeof(WorkerInfo).Assembly.GetName().Version?.ToString() ?? "unknown", "");

    public ServerInfo ServerInfo => _serverInfo;

    public void SetKafkaClusterId(string clusterId) => _serverInfo = _serverInfo with { KafkaClusterId = clusterId };

    public string GroupId { get; } = groupId;

    private volatile bool _ready;
    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
