using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>Facts about the worker (silo) answering a REST request; a local service, not a grain.</summary>
public interface IWorkerInfo
{
    ServerInfo ServerInfo { get; }

    /// <summary>True once the silo has completed startup (GET /health answers "healthy").</summary>
    bool IsReady { get; }

    /// <summary>The silo's group.id (the cluster id), the key of the connector registry grain.</summary>
    string GroupId { get; }
}
