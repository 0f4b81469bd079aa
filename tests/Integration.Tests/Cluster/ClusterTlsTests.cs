using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Silo-to-silo traffic over mutual TLS (silo.tls.certificate.path): two silos sharing one PKCS#12 certificate
/// form a cluster, place tasks on each other and answer for each other's connectors.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterTlsTests(TestBroker broker, PostgresServer postgres, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private const string Password = "tls-test-password";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-tls-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var certificate = Path.Combine(_dir, "silo.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=orleansconnect-silo", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client auth
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllBytesAsync(certificate, cert.Export(X509ContentType.Pfx, Password));
        }
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString, settings: new Dictionary<string, string>
        {
            ["silo.tls.certificate.path"] = certificate,
            ["silo.tls.certificate.password"] = Password,
        });
        await _cluster.StartAsync(2);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Two_silos_with_a_shared_certificate_run_one_cluster_over_TLS()
    {
        var topic = "tls-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 2);
        await _cluster[0].Client.CreateConnectorAsync("tls-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["file"] = Path.Combine(_dir, "out.txt"),
            ["tasks.max"] = "2",
        });
        // Seen from the other silo (a grain call across the TLS channel), with one task on each silo.
        var tasks = await Eventually.Until(async () => await SiloCluster.TasksAsync(_cluster[1].Client, ["tls-sink"]),
            t => t.Count == 2 && t.All(x => x.State == "RUNNING") && t.Select(x => x.WorkerId).Distinct().Count() == 2,
            TimeSpan.FromSeconds(30), t => $"2 tasks RUNNING, one per silo; last: {SiloCluster.Describe(t)}\n{_cluster.Logs}");
        output.WriteLine(SiloCluster.Describe(tasks));
        Assert.All(_cluster.Silos, s => Assert.DoesNotContain(Password, s.Log));
    }
}
