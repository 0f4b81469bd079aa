using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Security;

/// <summary>The REST API over HTTPS on a real silo process: a PKCS12 keystore and a PEM pair (an encrypted key) both
/// serve, with throwaway certificates made here; a JKS keystore, a wrong password, a missing file or an https://
/// listener without a certificate stop the start with one line and exit 2, and the line never holds the password.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RestHttpsTests(TestBroker broker) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-https-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A self-signed server certificate for 127.0.0.1 and localhost.</summary>
    private static X509Certificate2 MakeCertificate(RSA key)
    {
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A client that trusts exactly this certificate (it is self-signed, so no chain would).</summary>
    private static HttpClientHandler Trusting(X509Certificate2 certificate) => new()
    {
        ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.Thumbprint == certificate.Thumbprint,
    };

    private string Workdir(string name)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private async Task AssertServesHttpsAsync(SiloProcess silo)
    {
        await silo.StartAsync();
        Assert.Equal("https", silo.BaseAddress.Scheme);
        var root = await silo.Client.Get("");
        AssertStatus(root, 200);
        Assert.NotNull(root.Object["version"]);
        AssertStatus(await silo.Client.Get("connectors"), 200);
        // Plain HTTP on the TLS port gets no Connect answer.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var plainFailed = false;
        try
        {
            using var response = await plain.GetAsync($"http://127.0.0.1:{silo.Port}/connectors");
            plainFailed = response.StatusCode != HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            plainFailed = true;
        }
        Assert.True(plainFailed, "plain HTTP on the HTTPS port answered 200");
    }

    [Fact]
    public async Task A_pkcs12_keystore_serves_https()
    {
        var dir = Workdir("p12");
        using var key = RSA.Create(2048);
        using var certificate = MakeCertificate(key);
        var keystore = Path.Combine(dir, "rest.p12");
        await File.WriteAllBytesAsync(keystore, certificate.Export(X509ContentType.Pkcs12, "store-secret"));

        await using var silo = new SiloProcess(Path.Combine(dir, "silo"), broker.BootstrapServers, new Dictionary<string, string>
        {
            ["listeners.https.ssl.keystore.location"] = keystore,
            ["listeners.https.ssl.keystore.password"] = "store-secret",
            ["listeners.https.ssl.keystore.type"] = "PKCS12",
        }, https: true, handler: Trusting(certificate));
        await AssertServesHttpsAsync(silo);
        Assert.DoesNotContain("store-secret", silo.Log);
    }

    [Fact]
    public async Task A_pem_pair_with_an_encrypted_key_serves_https_with_authentication()
    {
        var dir = Workdir("pem");
        using var key = RSA.Create(2048);
        using var certificate = MakeCertificate(key);
        var certificateFile = Path.Combine(dir, "rest.crt");
        var keyFile = Path.Combine(dir, "rest.key");
        await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportEncryptedPkcs8PrivateKeyPem("key-secret",
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        var credentials = Path.Combine(dir, "users");
        await SiloCommand.AddUserAsync(credentials, "tls-admin", "admin", "tls-password");

        await using var silo = new SiloProcess(Path.Combine(dir, "silo"), broker.BootstrapServers, new Dictionary<string, string>
        {
            ["listeners.https.ssl.certificate.location"] = certificateFile,
            ["listeners.https.ssl.key.location"] = keyFile,
            ["listeners.https.ssl.key.password"] = "key-secret",
            ["rest.auth.basic.credentials.file"] = credentials,
        }, https: true, handler: Trusting(certificate));
        await silo.StartAsync();
        AssertError(await silo.Client.Get("connectors"), 401);
        using var admin = new HttpClient(Trusting(certificate)) { BaseAddress = silo.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String("tls-admin:tls-password"u8.ToArray()));
        AssertStatus(await admin.Get("connectors"), 200);
        // Connect's Location header follows the scheme the request came in on.
        var created = await admin.CreateAsync("tls-connector", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = Path.Combine(dir, "in.txt"),
            ["topic"] = "tls-" + Guid.NewGuid().ToString("N")[..8],
            ["topic.creation.default.partitions"] = "1",
            ["topic.creation.default.replication.factor"] = "1",
        });
        Assert.Equal($"https://127.0.0.1:{silo.Port}/connectors/tls-connector", created.Headers.Location?.OriginalString);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "jks-type", "ssl.keystore.type=JKS is not supported: convert the keystore to PKCS12" },
        { "jks-file", "is a JKS keystore, which is not supported: convert it to PKCS12" },
        { "wrong-password", "wrong listeners.https.ssl.keystore.password" },
        { "missing-file", "listeners.https.ssl.keystore.location: the file" },
        { "no-certificate", "listeners has an https:// URL but no certificate" },
        { "pem-wrong-key-password", "cannot use the PEM certificate" },
        { "missing-credentials-file", "the credentials file" },
        { "client-auth-required", "ssl.client.auth=required is not supported" },
        { "rest-extension", "rest.extension.classes (org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension) is not supported" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_certificate_or_credentials_file_that_cannot_be_used_is_one_line_and_exit_2(string problem, string expected)
    {
        var dir = Workdir(problem);
        const string secret = "the-secret-that-must-not-show";
        using var key = RSA.Create(2048);
        using var certificate = MakeCertificate(key);
        var keystore = Path.Combine(dir, "rest.p12");
        await File.WriteAllBytesAsync(keystore, certificate.Export(X509ContentType.Pkcs12, "right-password"));
        var settings = new Dictionary<string, string>();
        var https = true;
        switch (problem)
        {
            case "jks-type":
                settings["listeners.https.ssl.keystore.location"] = keystore;
                settings["listeners.https.ssl.keystore.password"] = secret;
                settings["listeners.https.ssl.keystore.type"] = "JKS";
                break;
            case "jks-file":
                var jks = Path.Combine(dir, "rest.jks");
                await File.WriteAllBytesAsync(jks, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 1]);
                settings["listeners.https.ssl.keystore.location"] = jks;
                settings["listeners.https.ssl.keystore.password"] = secret;
                break;
            case "wrong-password":
                settings["listeners.https.ssl.keystore.location"] = keystore;
                settings["listeners.https.ssl.keystore.password"] = secret;
                break;
            case "missing-file":
                settings["listeners.https.ssl.keystore.location"] = Path.Combine(dir, "absent.p12");
                settings["listeners.https.ssl.keystore.password"] = secret;
                break;
            case "no-certificate":
                break;
            case "pem-wrong-key-password":
                var certificateFile = Path.Combine(dir, "rest.crt");
                var keyFile = Path.Combine(dir, "rest.key");
                await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem());
                await File.WriteAllTextAsync(keyFile, key.ExportEncryptedPkcs8PrivateKeyPem("right-password",
                    new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
                settings["listeners.https.ssl.certificate.location"] = certificateFile;
                settings["listeners.https.ssl.key.location"] = keyFile;
                settings["listeners.https.ssl.key.password"] = secret;
                break;
            case "client-auth-required":
                settings["listeners.https.ssl.keystore.location"] = keystore;
                settings["listeners.https.ssl.keystore.password"] = secret;
                settings["listeners.https.ssl.client.auth"] = "required";
                break;
            case "rest-extension":
                https = false;
                settings["rest.extension.classes"] = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
                break;
            case "missing-credentials-file":
                https = false;
                settings["rest.auth.basic.credentials.file"] = Path.Combine(dir, "absent-users");
                break;
        }

        await using var silo = new SiloProcess(Path.Combine(dir, "silo"), broker.BootstrapServers, settings, https: https);
        var code = await silo.RunToExitAsync(TimeSpan.FromSeconds(60));
        var log = silo.Log;
        Assert.True(code == 2, $"exit code {code}, expected 2:\n{log}");
        Assert.Contains(expected, log);
        Assert.Single(log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(secret, log);
        Assert.DoesNotContain("Unhandled exception", log);
    }
}
