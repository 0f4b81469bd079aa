using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Security;

/// <summary>Secrets through a real silo process: a PASSWORD value and a ${file:...} secret reach the connector and its
/// task, and appear in no REST answer, no log line of the silo and not in the SQLite state file, through create, status,
/// restart, validate, GET → PUT of the config with "[hidden]", and delete.</summary>
[Collection(BrokerCollection.Name)]
public sealed class SecretsSiloTests(TestBroker broker) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("oc-secrets-silo-").FullName;
    private readonly string _name = "probe-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string ProbeConnectorClass => typeof(TestPlugins.SecretProbeSourceConnector).FullName!;

    private (SiloProcess Silo, string Files, string Secrets) NewSilo(Dictionary<string, string>? extra = null)
    {
        var files = Directory.CreateDirectory(Path.Combine(_dir, "files")).FullName;
        var secrets = Directory.CreateDirectory(Path.Combine(_dir, "secrets")).FullName;
        var keyFile = Path.Combine(_dir, "secrets.key");
        if (!File.Exists(keyFile)) File.WriteAllText(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var settings = new Dictionary<string, string>
        {
            ["plugin.path"] = typeof(TestPlugins.SecretProbeSourceConnector).Assembly.Location,
            ["secrets.encryption.key.file"] = keyFile,
            ["config.providers"] = "file,vault",
            ["config.providers.file.class"] = "org.apache.kafka.common.config.provider.FileConfigProvider",
            ["config.providers.file.param.allowed.paths"] = secrets,
            ["config.providers.vault.class"] = typeof(TestPlugins.TestVaultConfigProvider).FullName!,
            ["config.providers.vault.param.prefix"] = "vault:",
            ["file.allowed.paths"] = files,
            ["task.restart.backoff.initial.ms"] = "60000",
            // The same cluster across restarts of the silo (SiloProcess picks a new group.id otherwise).
            ["group.id"] = "secrets-" + _name,
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return (new SiloProcess(Path.Combine(_dir, "silo"), broker.BootstrapServers, settings), files, secrets);
    }

    private static async Task WaitForFileAsync(string path, string expectedContent, TimeSpan timeout, SiloProcess? silo = null) =>
        await Eventually.Until(() => Task.FromResult(File.Exists(path) ? SafeRead(path) : null), text => text is not null && text.Contains(expectedContent),
            timeout, text => $"{path} containing {expectedContent}; now: {text ?? "(none)"}\n{silo?.Log}");

    private static string? SafeRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return null; }
    }

    [Fact]
    public async Task Secrets_never_show_in_answers_logs_or_state_and_reach_the_task_through_a_full_cycle()
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var provided = "provided-" + Guid.NewGuid().ToString("N");
        var jaasPassword = "jaas-" + Guid.NewGuid().ToString("N");
        var (silo, files, secrets) = NewSilo();
        await using var _ = silo;
        var secretsFile = Path.Combine(secrets, "creds.properties");
        File.WriteAllText(secretsFile, $"token={provided}\n");
        var probe = Path.Combine(files, "probe");
        await silo.StartAsync();

        var answers = new List<string>();
        async Task<JsonNode?> Call(HttpMethod method, string path, string? body = null, HttpStatusCode? expected = null)
        {
            var (status, json) = await silo.Client.SendAsync(method, path, body);
            answers.Add($"{method} {path} → {(int)status} {json?.ToJsonString()}");
            if (expected is { } e) Assert.True(status == e, $"{method} {path} answered {(int)status}, expected {(int)e}: {json}");
            return json;
        }

        var config = new Dictionary<string, string>
        {
            ["connector.class"] = ProbeConnectorClass,
            ["tasks.max"] = "1",
            ["probe.file"] = probe,
            ["probe.secret"] = password,
            ["probe.value"] = $"${{file:{secretsFile}:token}}",
            // A Kafka password key as an override: hidden by its name (PLAINTEXT here, so the client never uses it).
            ["producer.override.sasl.jaas.config"] = $"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"{jaasPassword}\";",
        };
        var created = await Call(HttpMethod.Post, "connectors",
            new JsonObject { ["name"] = _name, ["config"] = JsonSerializer.SerializeToNode(config) }.ToJsonString(), HttpStatusCode.Created);
        Assert.Equal("[hidden]", (string?)created!["config"]!["probe.secret"]);
        await silo.Client.WaitForStateAsync(_name, "RUNNING", 1, TimeSpan.FromSeconds(60));

        // The connector instance and the task saw the real values.
        await WaitForFileAsync(probe + ".task", $"secret={password}\nvalue={provided}", TimeSpan.FromSeconds(30));
        Assert.Contains($"secret={password}\nvalue={provided}", File.ReadAllText(probe + ".connector"));

        var stored = await Call(HttpMethod.Get, $"connectors/{_name}/config", expected: HttpStatusCode.OK);
        Assert.Equal("[hidden]", (string?)stored!["probe.secret"]);
        Assert.Equal("[hidden]", (string?)stored["producer.override.sasl.jaas.config"]);
        Assert.Equal($"${{file:{secretsFile}:token}}", (string?)stored["probe.value"]); // the reference, never its value
        var tasks = await Call(HttpMethod.Get, $"connectors/{_name}/tasks", expected: HttpStatusCode.OK);
        Assert.Equal("[hidden]", (string?)tasks![0]!["config"]!["probe.secret"]);
        Assert.Equal($"${{file:{secretsFile}:token}}", (string?)tasks[0]!["config"]!["probe.value"]);
        await Call(HttpMethod.Get, $"connectors/{_name}", expected: HttpStatusCode.OK);
        await Call(HttpMethod.Get, $"connectors/{_name}/tasks-config", expected: HttpStatusCode.OK);
        await Call(HttpMethod.Get, "connectors?expand=info&expand=status", expected: HttpStatusCode.OK);
        await Call(HttpMethod.Get, $"connectors/{_name}/status", expected: HttpStatusCode.OK);
        var validated = await Call(HttpMethod.Put, "connector-plugins/SecretProbeSourceConnector/config/validate",
            JsonSerializer.Serialize(config.Append(new("name", _name)).ToDictionary()), HttpStatusCode.OK);
        Assert.Equal(0, (int)validated!["error_count"]!);

        // GET → edit → PUT with "[hidden]" keeps the secret: the restarted task sees the real password again.
        File.Delete(probe + ".task");
        var edited = stored.AsObject().ToDictionary(kv => kv.Key, kv => (string)kv.Value!);
        edited["probe.value"] = "${vault:secret/db:token}";
        await Call(HttpMethod.Put, $"connectors/{_name}/config", JsonSerializer.Serialize(edited), HttpStatusCode.OK);
        await WaitForFileAsync(probe + ".task", $"secret={password}\nvalue=vault:secret/db:token", TimeSpan.FromSeconds(60));

        File.Delete(probe + ".task");
        await Call(HttpMethod.Post, $"connectors/{_name}/restart?includeTasks=true", expected: HttpStatusCode.Accepted);
        await WaitForFileAsync(probe + ".task", $"secret={password}", TimeSpan.FromSeconds(60));
        await silo.Client.WaitForStateAsync(_name, "RUNNING", 1, TimeSpan.FromSeconds(60));
        await Call(HttpMethod.Get, $"connectors/{_name}/status", expected: HttpStatusCode.OK);

        // Encrypted at rest: the state database holds ciphertext, not the password.
        var state = Directory.EnumerateFiles(Path.Combine(silo.WorkDir, "data"), "orleansconnect.db*")
            .Select(f => { using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); })
            .SelectMany(b => b).ToArray();
        Assert.NotEmpty(state);
        var stateText = Encoding.UTF8.GetString(state);
        Assert.Contains("enc:v1:", stateText);
        Assert.DoesNotContain(password, stateText);
        Assert.DoesNotContain(jaasPassword, stateText);
        Assert.DoesNotContain(provided, stateText);

        await Call(HttpMethod.Delete, $"connectors/{_name}", expected: HttpStatusCode.NoContent);

        var all = string.Join("\n", answers);
        Assert.DoesNotContain(password, all);
        Assert.DoesNotContain(jaasPassword, all);
        Assert.DoesNotContain(provided, all);
        var log = silo.Log;
        Assert.Contains($"Connector {_name} created", log);
        Assert.DoesNotContain(password, log);
        Assert.DoesNotContain(jaasPassword, log);
        Assert.DoesNotContain(provided, log);
    }

    [Fact]
    public async Task Refusals_file_stream_outside_allowed_paths_provider_paths_outside_theirs_and_unreadable_secrets()
    {
        var (silo, files, secrets) = NewSilo();
        await using var _ = silo;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "creds.properties"), "token=must-not-be-read\n");
        Directory.CreateSymbolicLink(Path.Combine(files, "escape"), outside);
        await silo.StartAsync();

        foreach (var file in new[] { "/etc/passwd", $"{files}/../outside/in.txt", $"{files}/escape/in.txt" })
        {
            var body = new JsonObject
            {
                ["name"] = "fs-" + Guid.NewGuid().ToString("N")[..6],
                ["config"] = new JsonObject { ["connector.class"] = "FileStreamSource", ["file"] = file, ["topic"] = "t" },
            }.ToJsonString();
            var (status, json) = await silo.Client.SendAsync(HttpMethod.Post, "connectors", body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(400, (int)json!["error_code"]!);
            Assert.Contains("outside this worker's file.allowed.paths", (string?)json["message"]);
        }
        var (validateStatus, validation) = await silo.Client.SendAsync(HttpMethod.Put, "connector-plugins/FileStreamSink/config/validate",
            new JsonObject { ["connector.class"] = "FileStreamSink", ["name"] = "x", ["topics"] = "t", ["file"] = "/tmp/out.txt" }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, validateStatus);
        Assert.Equal(1, (int)validation!["error_count"]!);
        await silo.Client.CreateConnectorAsync("fs-ok-" + _name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = Path.Combine(files, "out.txt"), ["topics"] = "t-" + _name,
        });

        // A FileStream file named through a reference is checked when the task starts.
        File.WriteAllText(Path.Combine(secrets, "paths.properties"), "file=/etc/hostname\n");
        await silo.Client.CreateConnectorAsync("fs-ref-" + _name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = $"${{file:{secrets}/paths.properties:file}}", ["topics"] = "t-" + _name,
        });
        var refStatus = await silo.Client.WaitForTaskStateAsync("fs-ref-" + _name, 0, "FAILED", TimeSpan.FromSeconds(60));
        Assert.Contains("outside this worker's file.allowed.paths", (string?)refStatus!["tasks"]![0]!["trace"]);

        // A provider path outside its allowed.paths is not read: the reference stays as written, as in Kafka.
        var probe = Path.Combine(files, "probe");
        var outsideRef = $"${{file:{outside}/creds.properties:token}}";
        await silo.Client.CreateConnectorAsync(_name, new Dictionary<string, string>
        {
            ["connector.class"] = ProbeConnectorClass, ["probe.file"] = probe, ["probe.value"] = outsideRef,
        });
        await WaitForFileAsync(probe + ".task", $"value={outsideRef}", TimeSpan.FromSeconds(60));
        Assert.Contains($"keeps the reference {outsideRef} as written", silo.Log);
        Assert.DoesNotContain("must-not-be-read", silo.Log);

        // A secrets file that cannot be read fails the connector (which resolves first, as in Kafka) with Kafka's message.
        await silo.Client.CreateConnectorAsync("missing-" + _name, new Dictionary<string, string>
        {
            ["connector.class"] = ProbeConnectorClass, ["probe.file"] = probe + "-2", ["probe.value"] = $"${{file:{secrets}/none.properties:token}}",
        });
        var failed = await Eventually.Until(() => silo.Client.StatusAsync("missing-" + _name), s => (string?)s?["connector"]?["state"] == "FAILED",
            TimeSpan.FromSeconds(60), s => $"connector FAILED; last status {s?.ToJsonString()}");
        Assert.Contains($"Could not read properties from file {secrets}/none.properties", (string?)failed!["connector"]!["trace"]);
    }

    [Fact]
    public async Task A_rotated_key_keeps_old_values_readable_and_rewrites_them_so_the_old_key_can_go()
    {
        var password = "rot-" + Guid.NewGuid().ToString("N");
        var oldKey = Path.Combine(_dir, "secrets.key"); // the one NewSilo creates
        var newKey = Path.Combine(_dir, "new.key");
        File.WriteAllText(newKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        string probe;
        {
            var (silo, files, _) = NewSilo();
            await using var _ = silo;
            probe = Path.Combine(files, "probe");
            await silo.StartAsync();
            await silo.Client.CreateConnectorAsync(_name, new Dictionary<string, string>
            {
                ["connector.class"] = ProbeConnectorClass, ["probe.file"] = probe, ["probe.secret"] = password,
            });
            await WaitForFileAsync(probe + ".task", $"secret={password}", TimeSpan.FromSeconds(60));
            await silo.StopAsync();
        }
        File.Delete(probe + ".task");
        {
            var (silo, _, _) = NewSilo(new() { ["secrets.encryption.key.file"] = newKey, ["secrets.encryption.previous.key.file"] = oldKey });
            await using var _ = silo;
            await silo.StartAsync();
            await WaitForFileAsync(probe + ".task", $"secret={password}", TimeSpan.FromSeconds(60), silo);
            await Eventually.Until(() => Task.FromResult(silo.Log.Contains($"Connector {_name}: stored secrets re-encrypted with the current key")),
                TimeSpan.FromSeconds(30), "re-encryption logged\n" + silo.Log);
            await silo.StopAsync();
        }
        File.Delete(probe + ".task");
        {
            // The old key is gone: everything (connector and task grains) was rewritten with the new one.
            var (silo, _, _) = NewSilo(new() { ["secrets.encryption.key.file"] = newKey });
            await using var _ = silo;
            await silo.StartAsync();
            await WaitForFileAsync(probe + ".task", $"secret={password}", TimeSpan.FromSeconds(60));
            await silo.Client.WaitForStateAsync(_name, "RUNNING", 1, TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(password, silo.Log);
        }
    }

    [Fact]
    public async Task Worker_security_settings_librdkafka_cannot_take_stop_the_start_in_one_line()
    {
        var jks = Path.Combine(_dir, "store.jks");
        File.WriteAllBytes(jks, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]);
        await using var silo = new SiloProcess(Path.Combine(_dir, "refused"), broker.BootstrapServers, new Dictionary<string, string>
        {
            ["security.protocol"] = "SSL", ["ssl.truststore.location"] = jks, ["ssl.truststore.password"] = "changeit",
        });
        var code = await silo.RunToExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 2, $"exit code {code}:\n{silo.Log}");
        Assert.Contains("Invalid configuration: producer.ssl.truststore.location: JKS stores cannot be read", silo.Log);
        Assert.DoesNotContain("changeit", silo.Log);
        Assert.DoesNotContain("Unhandled exception", silo.Log);
    }
}
