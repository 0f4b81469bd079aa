using Microsoft.Extensions.Options;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Runtime;

namespace OrleansConnect.Api.Http;

/// <summary>The grains a request talks to, and the request timeout every call is awaited with
/// (Connect's herder requests are bounded the same way).</summary>
internal sealed class ConnectGrains(IGrainFactory grainFactory, IWorkerInfo worker, IOptions<ConnectApiOptions> options)
{
    private readonly ConnectApiOptions _options = options.Value;

    public IWorkerInfo Worker => worker;

    public IConnectorGrain Connector(string name) => grainFactory.GetGrain<IConnectorGrain>(name);

    public IConnectorRegistryGrain Registry() => grainFactory.GetGrain<IConnectorRegistryGrain>(worker.GroupId);

    public IPluginsGrain Plugins() => grainFactory.GetGrain<IPluginsGrain>(_options.PluginsGrainKey);

    public TimeSpan HealthCheckTimeout => _options.HealthCheckTimeout;

    public Task<T> Call<T>(Task<T> call, CancellationToken cancellationToken) =>
        Bounded(call, _options.RequestTimeout, cancellationToken);

    public async Task Call(Task call, CancellationToken cancellationToken)
    {
        try
        {
            await call.WaitAsync(_options.RequestTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw TimedOut();
        }
    }

    private static async Task<T> Bounded<T>(Task<T> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw TimedOut();
        }
    }

    // The grain call keeps running; only this request stops waiting for it, as in Connect.
    private static ConnectRestException TimedOut() => new(500, "Request timed out.");
}
