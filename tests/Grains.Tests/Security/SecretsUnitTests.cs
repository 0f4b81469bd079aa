using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Security.Providers;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Tests.Security;

/// <summary>Encryption at rest, secret keys and masking, config provider references and path confinement, without a silo.</summary>
public sealed class SecretsUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("oc-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Cipher_round_trips_binds_the_key_name_and_reads_values_of_the_previous_key()
    {
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var newKey = RandomNumberGenerator.GetBytes(32);
        var before = new SecretCipher(oldKey);
        var stored = before.Encrypt("db.password", "hunter2");
        Assert.StartsWith("enc:v1:", stored);
        Assert.DoesNotContain("hunter2", stored);
        Assert.NotEqual(stored, before.Encrypt("db.password", "hunter2")); // a fresh nonce each time
        Assert.Equal("hunter2", before.Decrypt("db.password", stored));
        Assert.Throws<ConfigException>(() => before.Decrypt("other.password", stored));

        var rotated = new SecretCipher(newKey, oldKey);
        Assert.Equal("hunter2", rotated.Decrypt("db.password", stored));
        Assert.True(rotated.NeedsRewrite(stored));
        var rewritten = rotated.Encrypt("db.password", rotated.Decrypt("db.password", stored));
        Assert.False(rotated.NeedsRewrite(rewritten));
        var e = Assert.Throws<ConfigException>(() => new SecretCipher(newKey).Decrypt("db.password", stored));
        Assert.Contains("secrets.encryption.previous.key.file", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);

        Assert.Equal("plain", SecretCipher.None.Encrypt("k", "plain"));
        Assert.Equal("plain", rotated.Decrypt("k", "plain"));
        Assert.True(rotated.NeedsRewrite("plain"));
    }

    [Fact]
    public void Key_files_are_32_bytes_raw_or_base64()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var raw = Path.Combine(_dir, "raw.key");
        var b64 = Path.Combine(_dir, "b64.key");
        var bad = Path.Combine(_dir, "bad.key");
        File.WriteAllBytes(raw, key);
        File.WriteAllText(b64, Convert.ToBase64String(key) + "\n");
        File.WriteAllText(bad, "short");
        Assert.Equal(key, SecretCipher.ReadKeyFile("k", raw));
        Assert.Equal(key, SecretCipher.ReadKeyFile("k", b64));
        Assert.Contains("32 random bytes", Assert.Throws<ConfigException>(() => SecretCipher.ReadKeyFile("k", bad)).Message);
        Assert.Throws<ConfigException>(() => SecretCipher.ReadKeyFile("k", Path.Combine(_dir, "missing")));
    }

    private ConnectorSecrets Secrets(SecretCipher? cipher = null, ConfigProviders? providers = null, params string[] allowedFiles)
    {
        var plugins = new PluginRegistry([typeof(OrleansConnect.Plugins.File.FileStreamSourceConnector).Assembly, typeof(TestPlugins.SecretProbeSourceConnector).Assembly]);
        var worker = new WorkerConfig(new Dictionary<string, string?> { ["file.allowed.paths"] = string.Join(",", allowedFiles) });
        return new ConnectorSecrets(plugins, new ConnectorConfigValidator(plugins, worker), cipher ?? SecretCipher.None, providers ?? ConfigProviders.None,
            new PathConfinement(allowedFiles), NullLogger<ConnectorSecrets>.Instance);
    }

    [Fact]
    public void Secret_keys_come_from_password_definitions_and_kafka_password_names()
    {
        var secrets = Secrets();
        var config = new Dictionary<string, string>
        {
            ["connector.class"] = "OrleansConnect.TestPlugins.SecretProbeSourceConnector",
            ["probe.secret"] = "a", ["probe.value"] = "b", ["probe.file"] = "/tmp/x",
            ["producer.override.sasl.jaas.config"] = "c", ["consumer.override.ssl.keystore.password"] = "d",
            ["value.converter.basic.auth.user.info"] = "e", ["name"] = "n",
        };
        var keys = secrets.SecretKeys(config);
        Assert.Equal(["consumer.override.ssl.keystore.password", "probe.secret", "producer.override.sasl.jaas.config", "value.converter.basic.auth.user.info"],
            keys.Order(StringComparer.Ordinal));
        var masked = secrets.Mask(config, keys);
        Assert.Equal("[hidden]", masked["probe.secret"]);
        Assert.Equal("b", masked["probe.value"]);
    }

    [Fact]
    public void Protect_reveal_and_hidden_round_trip()
    {
        var secrets = Secrets(new SecretCipher(RandomNumberGenerator.GetBytes(32)));
        var plain = new Dictionary<string, string> { ["connector.class"] = "SecretProbeSource", ["probe.secret"] = "pw", ["probe.file"] = "/f" };
        var stored = secrets.Protect(plain, secrets.SecretKeys(plain));
        Assert.StartsWith("enc:v1:", stored["probe.secret"]);
        Assert.Equal("/f", stored["probe.file"]);
        Assert.Equal(plain, secrets.Reveal(stored));
        var edited = new Dictionary<string, string>(secrets.Mask(stored, secrets.SecretKeys(stored))) { ["probe.file"] = "/g" };
        var restored = secrets.RestoreHidden(edited, secrets.Reveal(stored));
        Assert.Equal("pw", restored["probe.secret"]);
        Assert.Equal("/g", restored["probe.file"]);
        // Nothing stored (a create): "[hidden]" is taken literally.
        Assert.Equal("[hidden]", secrets.RestoreHidden(edited, null)["probe.secret"]);
    }

    [Fact]
    public async Task References_resolve_through_file_env_and_dir_providers_and_unknown_ones_stay_as_written()
    {
        var secretsDir = Directory.CreateDirectory(Path.Combine(_dir, "secrets")).FullName;
        File.WriteAllText(Path.Combine(secretsDir, "db.properties"), "user=app\npassword=p\\u0040ss\n");
        File.WriteAllText(Path.Combine(secretsDir, "token"), "tok-123");
        Environment.SetEnvironmentVariable("OC_TEST_SECRET_VAR", "from-env");
        Environment.SetEnvironmentVariable("OC_TEST_OTHER_VAR", "hidden-by-allowlist");
        using var providers = ConfigProviders.Create(new Dictionary<string, string?>
        {
            ["config.providers"] = "file,env,dir",
            ["config.providers.file.class"] = "org.apache.kafka.common.config.provider.FileConfigProvider",
            ["config.providers.file.param.allowed.paths"] = secretsDir,
            ["config.providers.env.class"] = "EnvVarConfigProvider",
            ["config.providers.env.param.allowlist.pattern"] = "OC_TEST_SECRET_.*",
            ["config.providers.dir.class"] = "dir",
        }, null);
        var resolved = await ConfigVariables.ResolveAsync(new Dictionary<string, string>
        {
            ["a"] = $"${{file:{secretsDir}/db.properties:password}}",
            ["b"] = $"jdbc://${{file:{secretsDir}/db.properties:user}}@host/${{env:OC_TEST_SECRET_VAR}}",
            ["c"] = $"${{dir:{secretsDir}:token}}",
            ["d"] = "${env:OC_TEST_OTHER_VAR}",
            ["e"] = "${vault:secret/x:y}",
            ["f"] = $"${{file:{secretsDir}/db.properties:missing}}",
            ["g"] = "no reference",
        }, providers.Providers, NullLogger.Instance, "test", CancellationToken.None);
        Assert.Equal("p@ss", resolved["a"]);
        Assert.Equal("jdbc://app@host/from-env", resolved["b"]);
        Assert.Equal("tok-123", resolved["c"]);
        Assert.Equal("${env:OC_TEST_OTHER_VAR}", resolved["d"]);
        Assert.Equal("${vault:secret/x:y}", resolved["e"]);
        Assert.Equal($"${{file:{secretsDir}/db.properties:missing}}", resolved["f"]);
        Assert.Equal("no reference", resolved["g"]);
    }

    [Fact]
    public async Task File_and_dir_providers_give_nothing_outside_allowed_paths_and_fail_on_unreadable_files()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_dir, "allowed")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "s.properties"), "k=v\n");
        File.WriteAllText(Path.Combine(outside, "k"), "v");
        var file = new FileConfigProvider();
        file.Configure(new Dictionary<string, string> { ["allowed.paths"] = allowed });
        var keys = new HashSet<string> { "k" };
        Assert.Empty((await file.GetAsync(Path.Combine(outside, "s.properties"), keys, CancellationToken.None)).Data);
        Assert.Empty((await file.GetAsync($"{allowed}/../outside/s.properties", keys, CancellationToken.None)).Data);
        File.CreateSymbolicLink(Path.Combine(allowed, "link.properties"), Path.Combine(outside, "s.properties"));
        Assert.Empty((await file.GetAsync(Path.Combine(allowed, "link.properties"), keys, CancellationToken.None)).Data);
        var missing = await Assert.ThrowsAsync<ConfigException>(() => file.GetAsync(Path.Combine(allowed, "none.properties"), keys, CancellationToken.None));
        Assert.Contains("Could not read properties from file", missing.Message);

        var dir = new DirectoryConfigProvider();
        dir.Configure(new Dictionary<string, string> { ["allowed.paths"] = allowed });
        Assert.Empty((await dir.GetAsync(outside, keys, CancellationToken.None)).Data);
        Assert.Empty((await dir.GetAsync(allowed, new HashSet<string> { "../outside/k" }, CancellationToken.None)).Data);

        Assert.Throws<ConfigException>(() => new FileConfigProvider().Configure(new Dictionary<string, string> { ["allowed.paths"] = "relative/path" }));
        var e = Assert.Throws<ConfigException>(() => ConfigProviders.Create(new Dictionary<string, string?>
        {
            ["config.providers"] = "file", ["config.providers.file.class"] = "FileConfigProvider",
            ["config.providers.file.param.allowed.paths"] = Path.Combine(_dir, "does-not-exist"),
        }, null));
        Assert.StartsWith("config.providers.file.param.allowed.paths", e.Message);
        Assert.Contains("config.providers.x.class", Assert.Throws<ConfigException>(() =>
            ConfigProviders.Create(new Dictionary<string, string?> { ["config.providers"] = "x" }, null)).Message);
        Assert.Contains("no config provider class", Assert.Throws<ConfigException>(() => ConfigProviders.Create(
            new Dictionary<string, string?> { ["config.providers"] = "x", ["config.providers.x.class"] = "com.example.Nope" }, null)).Message);
    }

    [Fact]
    public async Task Worker_settings_resolve_with_the_built_in_providers_and_plugin_providers_are_left_for_later()
    {
        var file = Path.Combine(_dir, "kafka.properties");
        File.WriteAllText(file, "jaas=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"w\" password=\"wpw\";\n");
        var resolved = await ConfigProviders.ResolveWorkerConfigAsync(new Dictionary<string, string?>
        {
            ["config.providers"] = "file,vault",
            ["config.providers.file.class"] = "FileConfigProvider",
            ["config.providers.file.param.allowed.paths"] = _dir,
            ["config.providers.vault.class"] = "com.example.VaultConfigProvider",
            ["sasl.jaas.config"] = $"${{file:{file}:jaas}}",
            ["producer.sasl.jaas.config"] = "${vault:kafka:jaas}",
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "PLAIN",
        }, NullLogger.Instance, CancellationToken.None);
        Assert.Contains("password=\"wpw\"", resolved["sasl.jaas.config"]);
        Assert.Equal("${vault:kafka:jaas}", resolved["producer.sasl.jaas.config"]);
        Assert.Equal(_dir, resolved["config.providers.file.param.allowed.paths"]);
        var worker = new WorkerConfig(resolved);
        Assert.Equal("wpw", worker.ClientConfigs("consumer")["sasl.password"]);
    }

    [Fact]
    public void Plugin_providers_are_found_by_class_name()
    {
        var plugins = new PluginRegistry([typeof(TestPlugins.TestVaultConfigProvider).Assembly]);
        using var providers = ConfigProviders.Create(new Dictionary<string, string?>
        {
            ["config.providers"] = "vault", ["config.providers.vault.class"] = "OrleansConnect.TestPlugins.TestVaultConfigProvider",
        }, plugins);
        Assert.IsType<TestPlugins.TestVaultConfigProvider>(providers.Providers["vault"]);
    }

    [Fact]
    public void Task_configs_get_their_references_back()
    {
        var raw = new Dictionary<string, string> { ["p"] = "${file:/s:p}", ["q"] = "plain" };
        var resolved = new Dictionary<string, string> { ["p"] = "secret", ["q"] = "plain" };
        var task = new Dictionary<string, string> { ["p"] = "secret", ["q"] = "plain", ["task.class"] = "T" };
        Assert.Equal(new Dictionary<string, string> { ["p"] = "${file:/s:p}", ["q"] = "plain", ["task.class"] = "T" },
            ConfigVariables.Unresolve(task, raw, resolved));
    }

    [Fact]
    public void Confinement_uses_canonical_paths()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_dir, "files")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(allowed, "escape"), outside);
        File.CreateSymbolicLink(Path.Combine(allowed, "dangling.txt"), Path.Combine(outside, "created-through-link.txt"));
        var confinement = new PathConfinement([allowed]);
        Assert.True(confinement.IsAllowed(Path.Combine(allowed, "a.txt")));
        Assert.True(confinement.IsAllowed(Path.Combine(allowed, "sub", "new", "b.txt")));
        Assert.True(confinement.IsAllowed(allowed));
        Assert.False(confinement.IsAllowed(allowed + "-sibling/a.txt"));
        Assert.False(confinement.IsAllowed(Path.Combine(allowed, "..", "other", "a.txt")));
        Assert.False(confinement.IsAllowed(Path.Combine(allowed, "escape", "a.txt")));
        Assert.False(confinement.IsAllowed(Path.Combine(allowed, "dangling.txt")));
        Assert.False(confinement.IsAllowed("relative.txt"));
        Assert.True(new PathConfinement([]).IsAllowed("/etc/passwd"));
        // An allowed directory given through a link is compared by its target.
        var viaLink = new PathConfinement([Path.Combine(allowed, "escape")]);
        Assert.True(viaLink.IsAllowed(Path.Combine(outside, "x.txt")));
    }

    [Fact]
    public async Task FileStream_connectors_outside_file_allowed_paths_fail_validation()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_dir, "files")).FullName;
        var plugins = new PluginRegistry([typeof(OrleansConnect.Plugins.File.FileStreamSourceConnector).Assembly]);
        var worker = new WorkerConfig(new Dictionary<string, string?> { ["file.allowed.paths"] = allowed });
        var validator = new ConnectorConfigValidator(plugins, worker);
        Dictionary<string, string?> Config(string file) => new()
        {
            ["name"] = "s", ["connector.class"] = "FileStreamSource", ["topic"] = "t", ["file"] = file,
        };
        Assert.Equal(0, (await validator.ValidateAsync(Config(Path.Combine(allowed, "in.txt")))).Infos.ErrorCount);
        Assert.Equal(0, (await validator.ValidateAsync(Config("${file:/x:y}"))).Infos.ErrorCount);
        var refused = (await validator.ValidateAsync(Config("/etc/passwd"))).Infos;
        Assert.Equal(1, refused.ErrorCount);
        Assert.Contains(refused.Configs, c => c.Value?.Name == "file" && c.Value.Errors.Any(m => m.Contains("file.allowed.paths")));
        var e = await Assert.ThrowsAsync<Grains.Interfaces.Errors.BadRequestException>(() => validator.ValidateForStoreAsync(Config($"{allowed}/../escape.txt")));
        Assert.Contains("outside this worker's file.allowed.paths", e.Message);
        var sink = new Dictionary<string, string?> { ["name"] = "k", ["connector.class"] = "FileStreamSink", ["topics"] = "t", ["file"] = "/tmp/out.txt" };
        Assert.Equal(1, (await validator.ValidateAsync(sink)).Infos.ErrorCount);
    }

    [Fact]
    public async Task Validate_hides_password_values_and_refuses_untranslatable_overrides()
    {
        var plugins = new PluginRegistry([typeof(TestPlugins.SecretProbeSourceConnector).Assembly]);
        var validator = new ConnectorConfigValidator(plugins, new WorkerConfig(new Dictionary<string, string?> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "PLAIN" }));
        var infos = (await validator.ValidateAsync(new Dictionary<string, string?>
        {
            ["name"] = "p", ["connector.class"] = "SecretProbeSourceConnector", ["probe.file"] = "/tmp/p", ["probe.secret"] = "topsecret",
            ["producer.override.sasl.jaas.config"] = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"topsecret\";",
            ["producer.override.sasl.mechanism"] = "GSSAPI",
        })).Infos;
        var text = System.Text.Json.JsonSerializer.Serialize(infos);
        Assert.DoesNotContain("topsecret", text);
        Assert.Equal("[hidden]", infos.Configs.Single(c => c.Value?.Name == "probe.secret").Value!.Value);
        Assert.Equal("[hidden]", infos.Configs.Single(c => c.Value?.Name == "producer.override.sasl.jaas.config").Value!.Value);
        var mechanism = infos.Configs.Single(c => c.Value?.Name == "producer.override.sasl.mechanism").Value!;
        Assert.Contains(mechanism.Errors, m => m.StartsWith("producer.override.sasl.mechanism:") && m.Contains("Kerberos"));
        Assert.Equal(1, infos.ErrorCount);
    }
}
