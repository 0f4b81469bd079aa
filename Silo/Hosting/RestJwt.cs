using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using OrleansConnect.Api.Security;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Thrown for bearer-token settings that cannot be used; the message is the one line the silo prints.</summary>
public sealed class RestJwtException(string message) : Exception(message);

/// <summary>Bearer-token settings from the rest.auth.jwt.* keys: on when a secret or a public key is set.</summary>
public static class RestJwt
{
    public static async Task<RestJwtSettings?> LoadAsync(WorkerConfig config, CancellationToken cancellationToken)
    {
        var secret = config.GetPassword(WorkerConfig.RestAuthJwtSecret)?.Value;
        var keyFile = config.GetString(WorkerConfig.RestAuthJwtPublicKeyLocation);
        if (string.IsNullOrEmpty(secret) && string.IsNullOrEmpty(keyFile)) return null;
        if (!string.IsNullOrEmpty(secret) && !string.IsNullOrEmpty(keyFile))
            throw new RestJwtException($"set {WorkerConfig.RestAuthJwtSecret} or {WorkerConfig.RestAuthJwtPublicKeyLocation}, not both");

        SecurityKey key;
        if (!string.IsNullOrEmpty(secret))
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            // HS256 needs a key at least as long as its hash; a short secret can be guessed offline from any token.
            if (bytes.Length < 32) throw new RestJwtException($"{WorkerConfig.RestAuthJwtSecret} must be at least 32 bytes long");
            key = new SymmetricSecurityKey(bytes);
        }
        else
        {
            string pem;
            try
            {
                pem = await File.ReadAllTextAsync(keyFile!, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RestJwtException($"{WorkerConfig.RestAuthJwtPublicKeyLocation}: cannot read {keyFile}: {e.Message}");
            }
            key = PublicKey(pem) ?? throw new RestJwtException(
                $"{WorkerConfig.RestAuthJwtPublicKeyLocation}: {keyFile} holds no PEM RSA or EC public key");
        }
        return new RestJwtSettings(key, Blank(config.GetString(WorkerConfig.RestAuthJwtIssuer)), Blank(config.GetString(WorkerConfig.RestAuthJwtAudience)),
            config.GetString(WorkerConfig.RestAuthJwtUserClaim)!, config.GetString(WorkerConfig.RestAuthJwtRoleClaim)!);
    }

    private static SecurityKey? PublicKey(string pem)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
        }
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return null;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
