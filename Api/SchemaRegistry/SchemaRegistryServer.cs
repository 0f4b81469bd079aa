using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Security;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Api.SchemaRegistry;

/// <summary>Where the registry listens: Confluent's clients expect a registry of its own on its own port (8081), not a
/// path under the Connect API.</summary>
public sealed class SchemaRegistryServerOptions
{
    public required IReadOnlyList<string> Urls { get; init; }
    /// <summary>The certificate of https:// URLs (the REST listener's).</summary>
    public X509Certificate2? Certificate { get; init; }
}

/// <summary>Serves <see cref="ISchemaRegistry"/> on its own Kestrel listener, behind the REST API's authentication and
/// users when those are on (roles: <see cref="SchemaRegistryRoles"/>). Starts after the grain runtime: it first reads
/// the _schemas topic to its end, so the first answer is already complete.</summary>
public sealed partial class SchemaRegistryServer(IServiceProvider services, SchemaRegistryServerOptions options, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("OrleansConnect.SchemaRegistry");
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<ISchemaRegistry>();
        await registry.StartAsync(cancellationToken);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(registry);
        // The REST API's users, token validator and failure counter: one login for both listeners.
        if (services.GetService<CredentialsStore>() is { } store) builder.Services.AddSingleton(store);
        if (services.GetService<JwtValidator>() is { } jwt) builder.Services.AddSingleton(jwt);
        if (services.GetService<RestAuthMetrics>() is { } metrics) builder.Services.AddSingleton(metrics);
        builder.Services.Configure<RestAuthOptions>(o => o.RequiredRole = SchemaRegistryRoles.Required);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls([.. options.Urls]);
        if (options.Certificate is { } certificate)
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));

        var app = builder.Build();
        app.UseMiddleware<SchemaRegistryErrors>();
        app.UseConnectApiAuthentication();
        SchemaRegistryEndpoints.Map(app);
        await app.StartAsync(cancellationToken);
        _app = app;
        Listening(_logger, string.Join(", ", options.Urls));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
        // The host never disposes its services (the process ends first), and the broker may be embedded and stop next.
        await services.GetRequiredService<ISchemaRegistry>().StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "Schema registry listening on {Urls}")]
    private static partial void Listening(ILogger logger, string urls);
}
