using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansConnect.Api.Console;
using OrleansConnect.Api.Endpoints;
using OrleansConnect.Api.Errors;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Api.Logging;
using OrleansConnect.Api.OpenApi;
using OrleansConnect.Api.Security;

namespace OrleansConnect.Api;

/// <summary>The Kafka Connect REST API of a silo.
/// <code>
/// builder.Services.AddSingleton&lt;IGrainFactory&gt;(...);   // the silo's
/// builder.Services.AddSingleton&lt;IWorkerInfo&gt;(...);     // the silo's
/// builder.Services.AddConnectApi();                      // after any Logging.ClearProviders(), before the
///                                                         // hosted service that marks the silo ready
/// var app = builder.Build();
/// app.MapConnectApi();                                    // before other middleware and endpoints
/// </code></summary>
public static class ConnectApi
{
    /// <summary>Registers the API's services: the grain access used by the endpoints, <see cref="ILoggerLevels"/>
    /// hooked into Microsoft.Extensions.Logging's filters, the background poll that applies cluster-scoped logger
    /// levels set through other silos, the source-generated JSON metadata and the OpenAPI document.
    /// Needs <c>IGrainFactory</c> and <c>IWorkerInfo</c> registered by the host; the poll calls a grain as it starts,
    /// so register the API after the grain runtime (whose hosted service must have started).</summary>
    public static IServiceCollection AddConnectApi(this IServiceCollection services)
    {
        services.AddOptions<ConnectApiOptions>();
        ConfigureKestrel(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConnectGrains>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<LoggerFilterOptions>, QuietFrameworkLogs>());
        services.TryAddSingleton<LoggerLevelStore>();
        services.TryAddSingleton<ILoggerLevels, LoggerLevels>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, KnownLoggersProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LoggerFilterOptions>, LoggerLevelRules>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<LoggerLevelStore>());
        services.TryAddSingleton<ClusterLoggerLevels>();
        services.AddHostedService<ClusterLoggerLevelPoller>();

        // Endpoints pass ConnectJsonContext's metadata explicitly; the OpenAPI generator finds it here.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ConnectJsonContext.Default);
            // The document describes what is written: numbers are numbers, not "number or numeric string".
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "OrleansConnect REST API";
                document.Info.Description = "The Kafka Connect REST API (see docs/rest-api.md for the differences).";
                return Task.CompletedTask;
            });
            o.AddOperationTransformer<ConnectOperationTransformer>();
        });
        return services;
    }

    /// <summary>Kestrel's limits go well above the product's (<see cref="ConnectApiOptions"/>), which
    /// RequestLimitsMiddleware enforces with Connect's error body: Kestrel itself rejects before any middleware runs
    /// and writes no body. What Kestrel still rejects (a NUL in the path, requests far beyond the limits, malformed
    /// requests) gets a body from a connection middleware on every endpoint.</summary>
    private static void ConfigureKestrel(IServiceCollection services) =>
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ConnectApiOptions>>((kestrel, api) =>
        {
            var limits = api.Value;
            kestrel.Limits.MaxRequestLineSize = Math.Max(64 * 1024, 4 * limits.MaxRequestTargetBytes);
            kestrel.Limits.MaxRequestHeadersTotalSize = Math.Max(256 * 1024, 4 * limits.MaxRequestHeadersBytes);
            kestrel.Limits.MaxRequestHeaderCount = Math.Max(1000, 4 * limits.MaxRequestHeaderCount);
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(KestrelRejectionBodies.Middleware));
        });

    /// <summary>Adds the access log, the error-mapping middleware, authentication (when
    /// <see cref="RestAuthentication.AddConnectApiBasicAuth"/> or <c>AddConnectApiJwtAuth</c> was called) and the request limits, and maps every endpoint, plus the OpenAPI document at /openapi.json.
    /// Call it before other middleware so that every error leaves as Connect's {"error_code","message"}.</summary>
    public static WebApplication MapConnectApi(this WebApplication app)
    {
        app.UseMiddleware<RequestLogMiddleware>();
        app.UseMiddleware<ConnectErrorMiddleware>();
        // Before the limits: an unauthenticated client learns nothing about the server but that it must log in.
        app.UseConnectApiAuthentication();
        app.UseMiddleware<RequestLimitsMiddleware>();

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ApiLog.Category);
        app.MapRootEndpoints(log);
        app.MapConnectorsEndpoints(log);
        app.MapConnectorPluginsEndpoints();
        if (app.Services.GetRequiredService<IOptions<ConnectApiOptions>>().Value.AdminEndpoints)
            app.MapLoggersEndpoints(log);
        app.MapTransformsPreviewEndpoints();
        app.MapConnectConsole();
        app.MapOpenApi("/openapi.json");
        return app;
    }
}
