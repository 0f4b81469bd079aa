using Microsoft.Extensions.Options;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;


namespace OrleansConnect.Api.Http;

/// <summary>The grains a request talks to, and the request timeout every call is awaited with
/// (Connect's herder requests are bounded the same way).</summary>
internal sealed class ConnectGrains(IGrainFactory grainFactory, IWorkerInfo worker, IConnectorListings listings, IOptions<ConnectApiOptions> options)
{
    private readonly ConnectApiOptions _options = options.Value;

    public IWorkerInfo Worker => worker;

    /// <summary>Many connectors' statuses and infos at once (GET /connectors?expand=...).</summary>
    public IConnectorListings Listings => listings;

    /// <summary>The connector's grain. Orleans refuses blank grain keys, and no connector can have a blank name
    /// (validation refuses it), so a blank name is simply not found.</summary>
    public IConnectorGrain Connector(string name) => string.IsNullOrWhiteSpace(name)
        ? throw new NotFoundException($"Connector {name} not found")
        : grainFactory.GetGrain<IConnectorGrain>(name);

    /// <summary>Creating a connector with a blank name fails validation as any other config error does.</summary>
    public async Task RefuseBlankName(string name, Dictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(name)) return;
        await Call(Plugins().ValidateForStore(config), cancellationToken);
        throw new BadRequestException("Connector name must not be blank.");
    }

    public ConnectorRegistry Registry() => new(grainFactory, worker.GroupId);

    public IPluginsGrain Plugins() => grainFactory.GetGrain<IPluginsGrain>(_options.PluginsGrainKey);

    public TimeSpan HealthCheckTimeout => _options.HealthCheckTimeout;

    public Task<T> Call<T>(Task<T> call, CancellationToken cancellationToken) =>
        Bounded(call, _options.RequestTimeout, cancellationToken);

    /// <summary>A grain call made again when Orleans rejected it with "Forwarding failed": it reached an activation
    /// that was deactivating and no new one took it in time. It never ran, so sending it again is safe, also for writes.</summary>
    public Task<T> Call<T>(Func<Task<T>> call, CancellationToken cancellationToken) =>
        Bounded(RetryForwardingAsync(call, cancellationToken), _options.RequestTimeout, cancellationToken);

    public Task Call(Func<Task> call, CancellationToken cancellationToken) =>
        Call(async () => { await call(); return true; }, cancellationToken);

    private static async Task<T> RetryForwardingAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < ForwardingAttempts && SiloUnreachable.IsForwardingFailure(e))
            {
                // The new activation is being created: give it a moment.
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken);
            }
        }
    }

    private const int ForwardingAttempts = 5;

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
