using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Tests.Security;

/// <summary>Kafka's Java client security settings, as Connect users write them, become librdkafka's.</summary>
public sealed class KafkaSecurityConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("oc-kafkasec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string?> Translate(params (string Key, string? Value)[] settings) =>
        KafkaSecurityConfig.Translate(settings.ToDictionary(s => s.Key, s => s.Value));

    private static List<KafkaSecurityConfig.Problem> Problems(params (string Key, string? Value)[] settings)
    {
        var problems = new List<KafkaSecurityConfig.Problem>();
        KafkaSecurityConfig.Translate(settings.ToDictionary(s => s.Key, s => s.Value), problems);
        return problems;
    }

    [Fact]
    public void Sasl_plain_with_a_jaas_config_becomes_username_password_and_mechanisms()
    {
        var result = Translate(("security.protocol", "SASL_SSL"), ("sasl.mechanism", "PLAIN"),
            ("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"s3cr\\\"et\";"));
        Assert.Equal("SASL_SSL", result["security.protocol"]);
        Assert.Equal("PLAIN", result["sasl.mechanisms"]);
        Assert.Equal("alice", result["sasl.username"]);
        Assert.Equal("s3cr\"et", result["sasl.password"]);
        Assert.False(result.ContainsKey("sasl.jaas.config"));
        Assert.False(result.ContainsKey("sasl.mechanism"));
    }

    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("scram-sha-512")]
    public void Scram_login_module_with_unquoted_options_and_line_breaks(string mechanism)
    {
        var result = Translate(("security.protocol", "sasl_plaintext"), ("sasl.mechanism", mechanism),
            ("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required\n  username=bob\n  password=\"pw\";"));
        Assert.Equal(mechanism.ToUpperInvariant(), result["sasl.mechanisms"]);
        Assert.Equal("bob", result["sasl.username"]);
        Assert.Equal("pw", result["sasl.password"]);
    }

    [Theory]
    [InlineData("com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab=\"/k\" principal=\"a@B\";", "Kerberos")]
    [InlineData("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;", "sasl.oauthbearer.method=oidc")]
    [InlineData("com.example.MyLoginModule required user=\"x\";", "com.example.MyLoginModule")]
    [InlineData("not a jaas entry", "JAAS entry")]
    [InlineData("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\";", "username and password")]
    public void Untranslatable_jaas_configs_are_refused_naming_the_key_never_the_value(string jaas, string expected)
    {
        var problem = Assert.Single(Problems(("security.protocol", "SASL_SSL"), ("sasl.mechanism", "PLAIN"), ("sasl.jaas.config", jaas)));
        Assert.Equal("sasl.jaas.config", problem.Key);
        Assert.Contains(expected, problem.Message);
        Assert.DoesNotContain("\"/k\"", problem.Message);
    }

    [Fact]
    public void Gssapi_handler_classes_and_unknown_protocols_are_refused()
    {
        Assert.Contains(Problems(("security.protocol", "SASL_SSL"), ("sasl.mechanism", "GSSAPI")), p => p.Key == "sasl.mechanism" && p.Message.Contains("Kerberos"));
        Assert.Contains(Problems(("security.protocol", "SASL_SSL"), ("sasl.login.callback.handler.class", "com.example.Handler")),
            p => p.Key == "sasl.login.callback.handler.class");
        Assert.Contains(Problems(("security.protocol", "SSL"), ("ssl.engine.factory.class", "com.example.Engine")), p => p.Key == "ssl.engine.factory.class");
        Assert.Contains(Problems(("security.protocol", "TLS")), p => p.Key == "security.protocol");
        var thrown = Assert.Throws<ConfigException>(() => KafkaSecurityConfig.Translate(
            new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "GSSAPI" }, "producer."));
        Assert.StartsWith("producer.sasl.mechanism:", thrown.Message);
    }

    [Fact]
    public void Security_settings_unused_by_the_protocol_are_dropped_unread()
    {
        // A JKS store under PLAINTEXT is never opened by Kafka's clients either; no error, nothing passed on.
        var result = Translate(("ssl.truststore.location", "/nowhere/store.jks"), ("ssl.truststore.type", "JKS"),
            ("sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required;"), ("linger.ms", "5"));
        Assert.Equal(["linger.ms"], result.Keys);
        // With SSL only, sasl.* is dropped and ssl.* translated.
        var ssl = Translate(("security.protocol", "SSL"), ("sasl.mechanism", "GSSAPI"), ("ssl.endpoint.identification.algorithm", ""));
        Assert.Equal("none", ssl["ssl.endpoint.identification.algorithm"]);
        Assert.False(ssl.ContainsKey("sasl.mechanisms"));
    }

    [Theory]
    [InlineData("https", "https")]
    [InlineData("HTTPS", "https")]
    [InlineData("", "none")]
    [InlineData(" ", "none")]
    public void Endpoint_identification(string value, string expected) =>
        Assert.Equal(expected, Translate(("security.protocol", "SSL"), ("ssl.endpoint.identification.algorithm", value))["ssl.endpoint.identification.algorithm"]);

    [Fact]
    public void Java_only_tuning_keys_are_dropped_and_librdkafka_names_pass_through()
    {
        var result = Translate(("security.protocol", "SASL_SSL"), ("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"), ("ssl.protocol", "TLSv1.3"),
            ("sasl.login.refresh.window.factor", "0.8"), ("ssl.ca.location", "/etc/ssl/ca.pem"), ("sasl.username", "u"), ("sasl.password", "p"),
            ("ssl.key.password", "kp"), ("sasl.mechanism", "PLAIN"));
        Assert.Equal(new Dictionary<string, string?>
        {
            ["security.protocol"] = "SASL_SSL", ["ssl.ca.location"] = "/etc/ssl/ca.pem", ["sasl.username"] = "u", ["sasl.password"] = "p",
            ["ssl.key.password"] = "kp", ["sasl.mechanisms"] = "PLAIN",
        }, result);
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    [Fact]
    public void A_pkcs12_truststore_becomes_its_certificates_in_pem_held_in_memory()
    {
        using var ca1 = SelfSigned("ca-one");
        using var ca2 = SelfSigned("ca-two");
        var store = new X509Certificate2Collection { X509CertificateLoader.LoadCertificate(ca1.Export(X509ContentType.Cert)),
            X509CertificateLoader.LoadCertificate(ca2.Export(X509ContentType.Cert)) };
        var path = Path.Combine(_dir, "truststore.p12");
        File.WriteAllBytes(path, store.Export(X509ContentType.Pkcs12, "changeit")!);

        foreach (var type in new[] { "PKCS12", null })
        {
            var settings = new List<(string, string?)> { ("security.protocol", "SSL"), ("ssl.truststore.location", path), ("ssl.truststore.password", "changeit") };
            if (type is not null) settings.Add(("ssl.truststore.type", type));
            var result = Translate([.. settings]);
            var pem = result["ssl.ca.pem"]!;
            Assert.Equal(2, pem.Split("-----BEGIN CERTIFICATE-----").Length - 1);
            Assert.Contains(ca1.ExportCertificatePem().Split('\n')[1], pem);
            Assert.True(result.ContainsKey("ssl.ca.location") && result["ssl.ca.location"] is null, "a worker's PEM location is removed by the layer above");
            Assert.False(result.ContainsKey("ssl.truststore.location"));
            Assert.False(result.ContainsKey("ssl.truststore.password"));
        }

        var wrong = Assert.Single(Problems(("security.protocol", "SSL"), ("ssl.truststore.location", path), ("ssl.truststore.password", "nope")));
        Assert.Equal("ssl.truststore.location", wrong.Key);
        Assert.DoesNotContain("nope", wrong.Message);
    }

    [Fact]
    public void A_pem_truststore_is_given_by_location()
    {
        using var ca = SelfSigned("ca");
        var path = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        foreach (var type in new[] { "PEM", null })
        {
            var settings = new List<(string, string?)> { ("security.protocol", "SSL"), ("ssl.truststore.location", path) };
            if (type is not null) settings.Add(("ssl.truststore.type", type));
            var result = Translate([.. settings]);
            Assert.Equal(path, result["ssl.ca.location"]);
        }
        Assert.Equal("PEMTEXT", Translate(("security.protocol", "SSL"), ("ssl.truststore.certificates", "PEMTEXT"))["ssl.ca.pem"]);
    }

    [Fact]
    public void Jks_stores_are_refused_by_declared_type_and_by_their_magic_number()
    {
        var path = Path.Combine(_dir, "store.jks");
        File.WriteAllBytes(path, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]);
        var declared = Assert.Single(Problems(("security.protocol", "SSL"), ("ssl.truststore.location", path), ("ssl.truststore.type", "JKS")));
        Assert.Equal("ssl.truststore.location", declared.Key);
        Assert.Contains("keytool -importkeystore", declared.Message);
        var sniffed = Assert.Single(Problems(("security.protocol", "SSL"), ("ssl.keystore.location", path), ("ssl.keystore.password", "x")));
        Assert.Equal("ssl.keystore.location", sniffed.Key);
        Assert.Contains("JKS", sniffed.Message);
        Assert.Contains(Problems(("security.protocol", "SSL"), ("ssl.keystore.location", path), ("ssl.keystore.type", "BCFKS")), p => p.Key == "ssl.keystore.type");
        Assert.Contains(Problems(("security.protocol", "SSL"), ("ssl.truststore.location", Path.Combine(_dir, "missing.p12"))),
            p => p.Key == "ssl.truststore.location" && p.Message.Contains("cannot read"));
    }

    [Fact]
    public void A_pkcs12_keystore_is_passed_to_librdkafka_and_a_pem_keystore_becomes_pem_values()
    {
        using var client = SelfSigned("client");
        var p12 = Path.Combine(_dir, "client.p12");
        File.WriteAllBytes(p12, client.Export(X509ContentType.Pkcs12, "ks-pass"));
        var result = Translate(("security.protocol", "SSL"), ("ssl.keystore.location", p12), ("ssl.keystore.password", "ks-pass"),
            ("ssl.keystore.type", "PKCS12"), ("ssl.key.password", "kp"));
        Assert.Equal(p12, result["ssl.keystore.location"]);
        Assert.Equal("ks-pass", result["ssl.keystore.password"]);
        Assert.Equal("kp", result["ssl.key.password"]);
        Assert.False(result.ContainsKey("ssl.keystore.type"));

        var pem = Path.Combine(_dir, "client.pem");
        File.WriteAllText(pem, client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n" + client.ExportCertificatePem());
        var fromPem = Translate(("security.protocol", "SASL_SSL"), ("ssl.keystore.location", pem), ("ssl.keystore.type", "PEM"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", fromPem["ssl.key.pem"]);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", fromPem["ssl.certificate.pem"]);
        Assert.False(fromPem.ContainsKey("ssl.keystore.location"));

        var inline = Translate(("security.protocol", "SSL"), ("ssl.keystore.key", "KEYPEM"), ("ssl.keystore.certificate.chain", "CERTPEM"));
        Assert.Equal("KEYPEM", inline["ssl.key.pem"]);
        Assert.Equal("CERTPEM", inline["ssl.certificate.pem"]);

        File.WriteAllText(pem, client.ExportCertificatePem());
        Assert.Contains(Problems(("security.protocol", "SSL"), ("ssl.keystore.location", pem)), p => p.Key == "ssl.keystore.location" && p.Message.Contains("private key"));
    }

    [Fact]
    public void Worker_client_configs_apply_top_level_security_to_every_client_and_prefixed_keys_win()
    {
        var worker = new WorkerConfig(new Dictionary<string, string?>
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "SCRAM-SHA-512",
            ["sasl.jaas.config"] = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"worker\" password=\"wpw\";",
            ["ssl.endpoint.identification.algorithm"] = "",
            ["producer.sasl.jaas.config"] = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"producer\" password=\"ppw\";",
            ["producer.linger.ms"] = "10",
            ["admin.listeners"] = "http://x:1",
        });
        var producer = worker.ClientConfigs("producer");
        Assert.Equal("producer", producer["sasl.username"]);
        Assert.Equal("SCRAM-SHA-512", producer["sasl.mechanisms"]);
        Assert.Equal("none", producer["ssl.endpoint.identification.algorithm"]);
        Assert.Equal("10", producer["linger.ms"]);
        var consumer = worker.ClientConfigs("consumer");
        Assert.Equal("worker", consumer["sasl.username"]);
        Assert.Equal("wpw", consumer["sasl.password"]);
        var admin = worker.ClientConfigs("admin");
        Assert.Equal("SASL_SSL", admin["security.protocol"]);
        Assert.False(admin.ContainsKey("listeners"));
    }

    [Fact]
    public void Worker_client_configs_that_cannot_be_translated_fail_naming_the_prefixed_key()
    {
        var worker = new WorkerConfig(new Dictionary<string, string?> { ["consumer.security.protocol"] = "SASL_SSL", ["consumer.sasl.mechanism"] = "GSSAPI" });
        var e = Assert.Throws<ConfigException>(() => worker.ClientConfigs("consumer"));
        Assert.StartsWith("consumer.sasl.mechanism:", e.Message);
        Assert.Null(Record.Exception(() => worker.ClientConfigs("producer")));
    }

    [Fact]
    public void Sasl_without_a_mechanism_is_refused_since_the_default_is_kerberos()
    {
        var worker = new WorkerConfig(new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL" });
        var e = Assert.Throws<ConfigException>(() => worker.ClientConfigs("admin"));
        Assert.Contains("admin client: security.protocol SASL_SSL needs sasl.mechanism", e.Message);

        var plaintext = new WorkerConfig(new Dictionary<string, string?>());
        var problems = new List<KafkaSecurityConfig.Problem>();
        ClientOverrides.Translate(plaintext, new Dictionary<string, string?> { ["security.protocol"] = "SASL_PLAINTEXT" }, ClientOverrides.Consumer, problems);
        Assert.Contains(problems, p => p.Key == "security.protocol" && p.Message.Contains("GSSAPI"));

        var saslWorker = new WorkerConfig(new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "PLAIN" });
        problems.Clear();
        ClientOverrides.Translate(saslWorker, new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL" }, ClientOverrides.Consumer, problems);
        Assert.Empty(problems);
    }

    [Fact]
    public void Connector_overrides_take_the_workers_protocol_when_they_set_none()
    {
        var worker = new WorkerConfig(new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "PLAIN" });
        var problems = new List<KafkaSecurityConfig.Problem>();
        var overrides = ClientOverrides.Translate(worker, new Dictionary<string, string?>
        {
            ["sasl.jaas.config"] = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"conn\" password=\"cpw\";",
        }, ClientOverrides.Producer, problems);
        Assert.Empty(problems);
        Assert.Equal("conn", overrides["sasl.username"]);
        Assert.Equal("cpw", overrides["sasl.password"]);
    }
}
