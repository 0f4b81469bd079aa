using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansConnect.Runtime.Transport;

/// <summary>Authenticates silo-to-silo messages: HMAC-SHA256 over service id, timestamp and body with the cluster's
/// shared secret. A request older than <see cref="MaxSkew"/> is refused (bounds replays; clocks must roughly agree).</summary>
internal sealed class MessageSigner(GrainRuntimeOptions options, TimeProvider time)
{
    public const string TimestampHeader = "X-OC-Timestamp";
    public const string SignatureHeader = "X-OC-Signature";
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.ClusterSecret);
    private readonly byte[] _service = Encoding.UTF8.GetBytes(options.ServiceId);

    public (string Timestamp, string Signature) Sign(ReadOnlySpan<byte> body)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return (timestamp, Convert.ToBase64String(Mac(timestamp, body)));
    }

    /// <summary>Null if the message is authentic, else why not.</summary>
    public string? Verify(string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature)) return "the message is not signed";
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return "the timestamp is malformed";
        var skew = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (skew.Duration() > MaxSkew) return $"the timestamp is {skew} away from this silo's clock";
        Span<byte> given = stackalloc byte[32];
        if (!Convert.TryFromBase64String(signature, given, out var written) || written != 32) return "the signature is malformed";
        return CryptographicOperations.FixedTimeEquals(given, Mac(timestamp, body))
            ? null
            : "the signature does not match (different ClusterSecret or ServiceId?)";
    }

    private byte[] Mac(string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(_service);
        hmac.AppendData("\n"u8);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp));
        hmac.AppendData("\n"u8);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
