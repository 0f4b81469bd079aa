using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Hosting;

namespace OrleansConnect.Tests.Security;

/// <summary>Which keys the REST certificate comes from: the listeners.https.* keys when any is set, else the unprefixed
/// ssl.* keys (Connect's all-or-nothing rule).</summary>
public sealed class RestTlsSettingsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-tlskeys-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _keystore;
    private readonly string _thumbprint;

    public RestTlsSettingsTests()
    {
        Directory.CreateDirectory(_dir);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _thumbprint = certificate.Thumbprint;
        _keystore = Path.Combine(_dir, "rest.p12");
        File.WriteAllBytes(_keystore, certificate.Export(X509ContentType.Pkcs12, "pw"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static WorkerConfig Config(Dictionary<string, string?> settings) =>
        new(new Dictionary<string, string?>(settings) { ["listeners"] = "https://127.0.0.1:0" });

    [Fact]
    public async Task Unprefixed_keys_serve_when_no_prefixed_key_is_set()
    {
        using var certificate = await RestTls.LoadAsync(Config(new() { ["ssl.keystore.location"] = _keystore, ["ssl.keystore.password"] = "pw" }),
            CancellationToken.None);
        Assert.Equal(_thumbprint, certificate.Thumbprint);
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public async Task One_prefixed_key_means_the_unprefixed_ones_are_not_used()
    {
        var e = await Assert.ThrowsAsync<RestTlsException>(() => RestTls.LoadAsync(Config(new()
        {
            ["ssl.keystore.location"] = _keystore,
            ["ssl.keystore.password"] = "pw",
            ["listeners.https.ssl.keystore.password"] = "pw",
        }), CancellationToken.None));
        Assert.Contains("no certificate", e.Message);
    }

    [Fact]
    public async Task Prefixed_keys_win_over_unprefixed_ones()
    {
        using var certificate = await RestTls.LoadAsync(Config(new()
        {
            ["ssl.keystore.location"] = Path.Combine(_dir, "absent.p12"),
            ["listeners.https.ssl.keystore.location"] = _keystore,
            ["listeners.https.ssl.keystore.password"] = "pw",
        }), CancellationToken.None);
        Assert.Equal(_thumbprint, certificate.Thumbprint);
    }
}
