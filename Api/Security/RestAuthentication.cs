using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansConnect.Api.Security;

public static class RestAuthentication
{
    /// <summary>Turns on HTTP Basic authentication of every REST path but GET /health against <paramref name="store"/>,
    /// with roles (<see cref="RestRoles.Required"/>), and re-reads its file when it changes. Call before
    /// <c>MapConnectApi</c>, which puts the check in front of every endpoint, the dashboard included.</summary>
    public static IServiceCollection AddConnectApiBasicAuth(this IServiceCollection services, CredentialsStore store)
    {
        services.AddOptions<RestAuthOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(store);
        services.TryAddSingleton<RestAuthMetrics>();
        services.AddHostedService<CredentialsFileWatcher>();
        return services;
    }

    /// <summary>Turns on bearer-token (JWT) authentication with the same roles, beside or instead of HTTP Basic.</summary>
    public static IServiceCollection AddConnectApiJwtAuth(this IServiceCollection services, RestJwtSettings settings)
    {
        services.AddOptions<RestAuthOptions>();
        services.AddSingleton(new JwtValidator(settings));
        services.TryAddSingleton<RestAuthMetrics>();
        return services;
    }

    /// <summary>Puts the authentication and role check into the pipeline when <see cref="AddConnectApiBasicAuth"/> or
    /// <see cref="AddConnectApiJwtAuth"/> was called, else does nothing. <c>MapConnectApi</c> calls it; hosts without the
    /// Connect endpoints may call it themselves.</summary>
    public static IApplicationBuilder UseConnectApiAuthentication(this IApplicationBuilder app) =>
        app.ApplicationServices.GetService<CredentialsStore>() is null && app.ApplicationServices.GetService<JwtValidator>() is null
            ? app
            : app.UseMiddleware<RestAuthMiddleware>();
}

/// <summary>The counter of refused requests: orleansconnect.rest.auth.failures on the meter "OrleansConnect", tagged with
/// the reason (missing, malformed, unknown_user, wrong_password, invalid_token, forbidden).</summary>
public sealed class RestAuthMetrics
{
    public const string MeterName = "OrleansConnect";
    public const string FailuresInstrument = "orleansconnect.rest.auth.failures";

    private readonly Counter<long> _failures;

    public RestAuthMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _failures = meter.CreateCounter<long>(FailuresInstrument, unit: "{request}",
            description: "REST requests refused by authentication (401) or by role (403)");
    }

    public void Failed(AuthFailure reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", ReasonTag(reason)));

    public static string ReasonTag(AuthFailure reason) => reason switch
    {
        AuthFailure.Missing => "missing",
        AuthFailure.Malformed => "malformed",
        AuthFailure.UnknownUser => "unknown_user",
        AuthFailure.WrongPassword => "wrong_password",
        AuthFailure.Forbidden => "forbidden",
        AuthFailure.InvalidToken => "invalid_token",
        _ => "other",
    };
}
