using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OrleansConnect.Api.Errors;

namespace OrleansConnect.Api.Security;

/// <summary>HTTP Basic and/or bearer-token (JWT) authentication and role check in front of every path (GET /health excepted): 401 with a
/// challenge when credentials are missing or wrong, 403 when the user's role is too low, both in Connect's error body.
/// Runs before routing decides anything, so the dashboard, unknown paths and later endpoints are covered alike.</summary>
internal sealed partial class RestAuthMiddleware(RequestDelegate next, IServiceProvider services, RestAuthMetrics metrics,
    IOptions<RestAuthOptions> options, ILogger<RestAuthMiddleware> logger)
{
    public const string RoleClaim = "orleansconnect.role";

    // Either or both are on; the challenge names the schemes that are.
    private readonly CredentialsStore? _store = services.GetService<CredentialsStore>();
    private readonly JwtValidator? _jwt = services.GetService<JwtValidator>();
    private readonly StringValues _challenge = Challenges(services, options.Value.Realm);
    private readonly Func<string, string, RestRole?> _requiredRole = options.Value.RequiredRole;
    private readonly string _missing = "Authentication required: send " + (services.GetService<CredentialsStore>() is null ? "a bearer token."
        : services.GetService<JwtValidator>() is null ? "HTTP Basic credentials." : "HTTP Basic credentials or a bearer token.");

    private static StringValues Challenges(IServiceProvider services, string realm)
    {
        var schemes = new List<string>();
        if (services.GetService<CredentialsStore>() is not null) schemes.Add($"Basic realm=\"{realm}\"");
        if (services.GetService<JwtValidator>() is not null) schemes.Add($"Bearer realm=\"{realm}\"");
        return new StringValues(schemes.ToArray());
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var required = _requiredRole(request.Method, request.Path.Value ?? "/");
        if (required is null)
        {
            await next(context);
            return;
        }

        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            // A browser's or a client's first request comes without credentials: not a failed login, so no warning.
            metrics.Failed(AuthFailure.Missing);
            NoCredentials(logger, request.Method, Printable(request.Path.Value ?? "/"), remote);
            await ChallengeAsync(context, _missing);
            return;
        }
        RestUser known;
        if (_jwt is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var (tokenUser, problem) = await _jwt.ValidateAsync(header["Bearer ".Length..].Trim());
            if (tokenUser is null)
            {
                metrics.Failed(AuthFailure.InvalidToken);
                LoginFailed(logger, "-", remote, $"{RestAuthMetrics.ReasonTag(AuthFailure.InvalidToken)} ({problem})");
                await ChallengeAsync(context, "Authentication failed: the bearer token is not valid.");
                return;
            }
            known = tokenUser;
        }
        else if (_store is not null && TryParseBasic(header, out var user, out var password))
        {
            var result = await _store.AuthenticateAsync(user, password, context.RequestAborted);
            if (result.User is not { } basicUser)
            {
                var reason = result.Failure ?? AuthFailure.WrongPassword;
                metrics.Failed(reason);
                LoginFailed(logger, Printable(user), remote, RestAuthMetrics.ReasonTag(reason));
                // One message for an unknown user and a wrong password: the answer must not tell which names exist.
                await ChallengeAsync(context, "Authentication failed: unknown user or wrong password.");
                return;
            }
            known = basicUser;
        }
        else
        {
            metrics.Failed(AuthFailure.Malformed);
            LoginFailed(logger, "-", remote, RestAuthMetrics.ReasonTag(AuthFailure.Malformed));
            await ChallengeAsync(context, _store is null
                ? "Authentication failed: the Authorization header is not a bearer token."
                : "Authentication failed: the Authorization header is not HTTP Basic credentials.");
            return;
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, known.Name), new Claim(RoleClaim, RestRoles.Name(known.Role))], authenticationType: "Basic"));
        if (known.Role < required.Value)
        {
            metrics.Failed(AuthFailure.Forbidden);
            Forbidden(logger, known.Name, RestRoles.Name(known.Role), request.Method, Printable(request.Path.Value ?? "/"), remote);
            await ErrorResponses.WriteAsync(context.Response, StatusCodes.Status403Forbidden,
                $"User '{known.Name}' has the role {RestRoles.Name(known.Role)}; {request.Method} {request.Path} needs {RestRoles.Name(required.Value)}.");
            return;
        }
        await next(context);
    }

    private Task ChallengeAsync(HttpContext context, string message)
    {
        context.Response.Headers[HeaderNames.WWWAuthenticate] = _challenge;
        return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, message);
    }

    /// <summary>"Basic base64(user:password)", UTF-8 (RFC 7617); the password may contain ':', the user may not.</summary>
    internal static bool TryParseBasic(string header, out string user, out string password)
    {
        user = password = "";
        const string scheme = "Basic ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var encoded = header.AsSpan(scheme.Length).Trim();
        var buffer = new byte[(encoded.Length * 3 + 3) / 4];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written)) return false;
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return false;
        user = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }

    /// <summary>The text as sent, cut short and without control characters: it is the client's, going into a log line.</summary>
    private static string Printable(string sent)
    {
        var text = sent.Length > 256 ? sent[..256] + "…" : sent;
        return string.Create(text.Length, text, (span, s) =>
        {
            for (var i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "{Method} {Path} from {RemoteAddress} without credentials: 401")]
    private static partial void NoCredentials(ILogger logger, string method, string path, string remoteAddress);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "REST login failed for user {User} from {RemoteAddress}: {Reason}")]
    private static partial void LoginFailed(ILogger logger, string user, string remoteAddress, string reason);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning,
        Message = "REST user {User} (role {Role}) from {RemoteAddress} refused {Method} {Path}: 403")]
    private static partial void Forbidden(ILogger logger, string user, string role, string method, string path, string remoteAddress);
}
