using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OrleansConnect.Grains.Metrics;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Metrics through OpenTelemetry: Connect's metric groups (<see cref="ConnectMetrics"/>) next to Orleans' meters,
/// the .NET runtime's and ASP.NET Core's, scraped at GET /metrics in the Prometheus text format and, when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set, pushed over OTLP as well (the exporter reads the standard OTEL_* variables).</summary>
public static class ConnectTelemetryExtensions
{
    /// <summary>Meters exported beside Connect's: each is built into its library, so no instrumentation package is needed.</summary>
    private static readonly string[] PlatformMeters =
    [
        "Microsoft.Orleans",
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    public static IServiceCollection AddConnectTelemetry(this IServiceCollection services, string workerId)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("orleansconnect", serviceInstanceId: workerId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ConnectMetrics.MeterName).AddMeter(PlatformMeters);
                metrics.AddPrometheusExporter();
                if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
                    metrics.AddOtlpExporter();
            });
        return services;
    }

    public static WebApplication MapConnectMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
