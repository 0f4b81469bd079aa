using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansConnect.Api.Security;

/// <summary>Settings of bearer-token (JWT) authentication: the key that signs tokens (an HMAC secret or an RSA/EC public
/// key), the issuer and audience tokens must name when set, and the claims that carry the user and the role.</summary>
public sealed record RestJwtSettings(SecurityKey SigningKey, string? Issuer, string? Audience, string UserClaim = "sub", string RoleClaim = "role");

/// <summary>Checks <c>Authorization: Bearer &lt;JWT&gt;</c> tokens: signature, expiry (required; 30 s of clock skew),
/// issuer and audience when configured; the role claim must be viewer, operator or admin. Tokens come from the
/// organisation's identity provider; the silo never issues any.</summary>
public sealed class JwtValidator(RestJwtSettings settings)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters = new()
    {
        IssuerSigningKey = settings.SigningKey,
        ValidateIssuerSigningKey = true,
        ValidateIssuer = settings.Issuer is not null,
        ValidIssuer = settings.Issuer,
        ValidateAudience = settings.Audience is not null,
        ValidAudience = settings.Audience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = settings.UserClaim,
        RoleClaimType = settings.RoleClaim,
    };

    /// <summary>The user the token names, or null with why not (for the log, never for the client).</summary>
    public async Task<(RestUser? User, string? Problem)> ValidateAsync(string token)
    {
        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _parameters);
        }
        catch (ArgumentException e)
        {
            return (null, e.GetType().Name);
        }
        if (!result.IsValid) return (null, result.Exception?.GetType().Name ?? "invalid token");
        var identity = result.ClaimsIdentity;
        var name = identity.FindFirst(settings.UserClaim)?.Value;
        if (string.IsNullOrEmpty(name)) return (null, $"no {settings.UserClaim} claim");
        // The highest known role wins when a token carries several.
        RestRole? role = null;
        foreach (Claim claim in identity.FindAll(settings.RoleClaim))
            if (RestRoles.TryParse(claim.Value, out var r) && (role is null || r > role)) role = r;
        if (role is null) return (null, $"no {settings.RoleClaim} claim naming viewer, operator or admin");
        return (new RestUser(name, role.Value, ""), null);
    }
}
