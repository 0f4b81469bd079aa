using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary>This silo's <see cref="ISiloStatusService"/>: a snapshot of <see cref="LocalStatuses"/>.</summary>
public sealed class SiloStatusService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, LocalStatuses statuses)
    : GrainService(id, silo, loggerFactory), ISiloStatusService
{
    public Task<SiloStatuses> GetLocalStatuses(bool withInfo) => Task.FromResult(statuses.Snapshot(withInfo));
}

/// <summary>Reaches the <see cref="ISiloStatusService"/> of a given silo.</summary>
public interface ISiloStatusClient : IGrainServiceClient<ISiloStatusService>
{
    Task<SiloStatuses> GetAsync(SiloAddress silo, bool withInfo);
}

public sealed class SiloStatusClient(IServiceProvider services) : GrainServiceClient<ISiloStatusService>(services), ISiloStatusClient
{
    public Task<SiloStatuses> GetAsync(SiloAddress silo, bool withInfo) => GetGrainService(silo).GetLocalStatuses(withInfo);
}
