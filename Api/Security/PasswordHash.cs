using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansConnect.Api.Security;

/// <summary>Password hashes of the credentials file: <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>, salt
/// (16 random bytes) and hash (32 bytes) in base64. PBKDF2-HMAC-SHA256 makes each guess cost as many HMACs as the
/// iterations, so a stolen file resists offline guessing and online guessing is slowed down.</summary>
public static class PasswordHash
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Fewer iterations are refused in the file: they would make guessing cheap.</summary>
    public const int MinimumIterations = 100_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Create(string password, int iterations = DefaultIterations)
    {
        if (iterations < MinimumIterations)
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"at least {MinimumIterations} iterations");
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Null when <paramref name="encoded"/> is a well-formed hash, else why not.</summary>
    public static string? Validate(string encoded) => TryParse(encoded, out _, out _, out _, out var problem) ? null : problem;

    /// <summary>Whether <paramref name="password"/> matches; the comparison takes the same time wherever they differ.</summary>
    public static bool Verify(string password, string encoded)
    {
        if (!TryParse(encoded, out var iterations, out var salt, out var expected, out _)) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string encoded, out int iterations, out byte[] salt, out byte[] hash, out string problem)
    {
        iterations = 0;
        salt = hash = [];
        var parts = encoded.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            problem = $"the password hash is not {Scheme}$<iterations>$<salt>$<hash>";
            return false;
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < MinimumIterations)
        {
            problem = $"the password hash needs at least {MinimumIterations} iterations";
            return false;
        }
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            problem = "the password hash's salt or hash is not base64";
            return false;
        }
        if (salt.Length < 8 || hash.Length < 16)
        {
            problem = "the password hash's salt or hash is too short";
            return false;
        }
        problem = "";
        return true;
    }
}
