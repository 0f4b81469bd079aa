using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Security;

namespace OrleansConnect.Grains.Kafka;

/// <summary>
/// Kafka client security settings as Connect users write them (Java client names), translated to librdkafka's:
/// security.protocol as is; sasl.mechanism → sasl.mechanisms; a PLAIN or SCRAM sasl.jaas.config → sasl.username and
/// sasl.password; truststores (PEM → ssl.ca.location, PKCS12 → its certificates as ssl.ca.pem); keystores (PKCS12 →
/// ssl.keystore.location/password, PEM → ssl.certificate.pem/ssl.key.pem); ssl.key.password; and
/// ssl.endpoint.identification.algorithm (empty → none). librdkafka's own names pass through. What librdkafka cannot
/// do (JKS stores, Kerberos, login or callback handler classes) is refused with a message naming the key; messages never
/// contain a value. Java-only tuning keys librdkafka has no counterpart for are dropped (docs/security.md).
/// </summary>
public static partial class KafkaSecurityConfig
{
    public const string SecurityProtocol = "security.protocol";

    /// <summary>Java keys without a librdkafka counterpart whose absence changes nothing librdkafka does.</summary>
    private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal)
    {
        "ssl.protocol", "ssl.enabled.protocols", "ssl.keymanager.algorithm", "ssl.trustmanager.algorithm",
        "ssl.secure.random.implementation", "ssl.provider", "ssl.client.auth", "ssl.principal.mapping.rules",
        "ssl.cipher.suites", "ssl.truststore.type", "ssl.truststore.password", "ssl.keystore.type",
        "ssl.allow.dn.changes", "ssl.allow.san.changes",
        "sasl.login.refresh.window.factor", "sasl.login.refresh.window.jitter", "sasl.login.refresh.min.period.seconds",
        "sasl.login.refresh.buffer.seconds", "sasl.login.connect.timeout.ms", "sasl.login.read.timeout.ms",
        "sasl.login.retry.backoff.ms", "sasl.login.retry.backoff.max.ms",
    };

    private static readonly HashSet<string> ClassKeys = new(StringComparer.Ordinal)
    {
        "sasl.login.callback.handler.class", "sasl.client.callback.handler.class", "sasl.login.class", "ssl.engine.factory.class",
    };

    /// <summary>Kafka's (and librdkafka's) default SASL mechanism is GSSAPI, which this runtime cannot use: a client
    /// speaking SASL_* must name its mechanism. Null when the translated settings are fine.</summary>
    public static string? MissingMechanism(IReadOnlyDictionary<string, string?> translated, string? inheritedMechanism = null)
    {
        var protocol = translated.GetValueOrDefault(SecurityProtocol)?.Trim().ToUpperInvariant();
        if (protocol is null || !protocol.StartsWith("SASL_", StringComparison.Ordinal)) return null;
        if (translated.GetValueOrDefault("sasl.mechanisms") is { Length: > 0 } || !string.IsNullOrEmpty(inheritedMechanism)) return null;
        return $"security.protocol {protocol} needs sasl.mechanism: Kafka's default GSSAPI (Kerberos) is not supported; set PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER";
    }

    /// <summary>A key that cannot be translated, and why (never its value).</summary>
    public sealed record Problem(string Key, string Message);

    /// <summary>The worker's top-level security.protocol, sasl.* and ssl.* settings (Connect applies them to every client).</summary>
    public static Dictionary<string, string?> TopLevel(IReadOnlyDictionary<string, string?> workerOriginals) =>
        workerOriginals.Where(kv => kv.Key == SecurityProtocol || kv.Key.StartsWith("sasl.", StringComparison.Ordinal) || kv.Key.StartsWith("ssl.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Translates; throws ConfigException naming the first key (with <paramref name="keyPrefix"/>) that cannot be.</summary>
    public static Dictionary<string, string?> Translate(IReadOnlyDictionary<string, string?> configs, string keyPrefix = "", string? effectiveProtocol = null)
    {
        var problems = new List<Problem>();
        var result = Translate(configs, problems, effectiveProtocol);
        if (problems.Count > 0) throw new ConfigException($"{keyPrefix}{problems[0].Key}: {problems[0].Message}");
        return result;
    }

    /// <summary>Translates one layer of client settings. <paramref name="effectiveProtocol"/> is the security.protocol
    /// that applies when the layer has none (a connector override over the worker's settings): ssl.* settings matter only
    /// with SSL or SASL_SSL and sasl.* only with SASL_*, so others are dropped unread, as the Java clients ignore them.</summary>
    public static Dictionary<string, string?> Translate(IReadOnlyDictionary<string, string?> configs, List<Problem> problems, string? effectiveProtocol = null)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        var protocol = (configs.GetValueOrDefault(SecurityProtocol) ?? effectiveProtocol ?? "PLAINTEXT").Trim().ToUpperInvariant();
        if (protocol is not ("PLAINTEXT" or "SSL" or "SASL_PLAINTEXT" or "SASL_SSL"))
            problems.Add(new Problem(SecurityProtocol, $"{protocol} is not a security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)"));
        var usesSsl = protocol is "SSL" or "SASL_SSL";
        var usesSasl = protocol.StartsWith("SASL_", StringComparison.Ordinal);

        foreach (var (key, value) in configs)
        {
            var isSsl = key.StartsWith("ssl.", StringComparison.Ordinal);
            var isSasl = key.StartsWith("sasl.", StringComparison.Ordinal);
            if (!isSsl && !isSasl) { result[key] = value; continue; }
            if ((isSsl && !usesSsl) || (isSasl && !usesSasl) || Dropped.Contains(key)) continue;
            if (ClassKeys.Contains(key))
            {
                if (!string.IsNullOrWhiteSpace(value))
                    problems.Add(new Problem(key, "Java classes cannot be loaded by this runtime's Kafka client (librdkafka); for OAUTHBEARER use librdkafka's sasl.oauthbearer.method=oidc settings"));
                continue;
            }
            if (key.StartsWith("sasl.kerberos.", StringComparison.Ordinal)) continue; // only used by GSSAPI, refused below
            switch (key)
            {
                case "sasl.mechanism":
                    TranslateMechanism(value, result, problems);
                    break;
                case "sasl.jaas.config":
                    TranslateJaas(value, result, problems);
                    break;
                case "ssl.truststore.location":
                    TranslateTruststore(value, configs, result, problems);
                    break;
                case "ssl.truststore.certificates":
                    if (!string.IsNullOrWhiteSpace(value)) { result["ssl.ca.pem"] = value; result["ssl.ca.location"] = null; }
                    break;
                case "ssl.keystore.location":
                    TranslateKeystore(value, configs, result, problems);
                    break;
                case "ssl.keystore.password":
                    // Consumed with ssl.keystore.location; librdkafka's own ssl.keystore.password is set there.
                    if (!configs.ContainsKey("ssl.keystore.location")) result[key] = value;
                    break;
                case "ssl.keystore.key":
                    if (!string.IsNullOrWhiteSpace(value)) result["ssl.key.pem"] = value;
                    break;
                case "ssl.keystore.certificate.chain":
                    if (!string.IsNullOrWhiteSpace(value)) result["ssl.certificate.pem"] = value;
                    break;
                case "ssl.endpoint.identification.algorithm":
                    var algorithm = (value ?? "").Trim();
                    if (algorithm.Length == 0 || algorithm.Equals("none", StringComparison.OrdinalIgnoreCase)) result[key] = "none";
                    else if (algorithm.Equals("https", StringComparison.OrdinalIgnoreCase)) result[key] = "https";
                    else problems.Add(new Problem(key, $"'{algorithm}' is not supported: use https or an empty value"));
                    break;
                default:
                    result[key] = value; // librdkafka's own name (ssl.ca.location, sasl.username, ssl.key.password...)
                    break;
            }
        }
        return result;
    }

    private static void TranslateMechanism(string? value, Dictionary<string, string?> result, List<Problem> problems)
    {
        var mechanism = (value ?? "").Trim().ToUpperInvariant();
        switch (mechanism)
        {
            case "PLAIN" or "SCRAM-SHA-256" or "SCRAM-SHA-512" or "OAUTHBEARER":
                result["sasl.mechanisms"] = mechanism;
                break;
            case "GSSAPI":
                problems.Add(new Problem("sasl.mechanism", "GSSAPI (Kerberos) is not supported by this runtime; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"));
                break;
            default:
                problems.Add(new Problem("sasl.mechanism", $"'{mechanism}' is not a SASL mechanism this runtime supports (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)"));
                break;
        }
    }

    // <LoginModule class> <flag> option="value" option=value ... ;
    [GeneratedRegex(@"^\s*(?<module>[\w.$]+)\s+(?<flag>required|requisite|sufficient|optional)(?<options>(?:\s+[\w.\-]+\s*=\s*(?:""(?:[^""\\]|\\.)*""|[^\s;""]+))*)\s*;\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex JaasEntry();

    [GeneratedRegex(@"(?<name>[\w.\-]+)\s*=\s*(?:""(?<quoted>(?:[^""\\]|\\.)*)""|(?<plain>[^\s;""]+))")]
    private static partial Regex JaasOption();

    /// <summary>The login module and its options of a single-entry JAAS config (what Kafka's sasl.jaas.config takes).</summary>
    public static (string Module, Dictionary<string, string> Options)? ParseJaas(string text)
    {
        var entry = JaasEntry().Match(text);
        if (!entry.Success) return null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match option in JaasOption().Matches(entry.Groups["options"].Value))
        {
            options[option.Groups["name"].Value] = option.Groups["quoted"].Success
                ? Regex.Replace(option.Groups["quoted"].Value, @"\\(.)", "$1")
                : option.Groups["plain"].Value;
        }
        return (entry.Groups["module"].Value, options);
    }

    private static void TranslateJaas(string? value, Dictionary<string, string?> result, List<Problem> problems)
    {
        const string key = "sasl.jaas.config";
        if (string.IsNullOrWhiteSpace(value)) return;
        if (ParseJaas(value) is not var (module, options))
        {
            problems.Add(new Problem(key, "could not be read as a JAAS entry: expected `<LoginModule class> required username=\"...\" password=\"...\";`"));
            return;
        }
        switch (module.Split('.')[^1])
        {
            case "PlainLoginModule" or "ScramLoginModule":
                if (!options.TryGetValue("username", out var user) || !options.TryGetValue("password", out var password))
                {
                    problems.Add(new Problem(key, $"{module} needs both username and password options"));
                    return;
                }
                result["sasl.username"] = user;
                result["sasl.password"] = password;
                break;
            case "Krb5LoginModule":
                problems.Add(new Problem(key, "Kerberos (Krb5LoginModule) is not supported by this runtime"));
                break;
            case "OAuthBearerLoginModule":
                problems.Add(new Problem(key, "OAuthBearerLoginModule is not translated: use librdkafka's sasl.oauthbearer.method=oidc with sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret and sasl.oauthbearer.token.endpoint.url"));
                break;
            default:
                problems.Add(new Problem(key, $"login module {module} is not supported (PlainLoginModule and ScramLoginModule are)"));
                break;
        }
    }

    private enum StoreType { Pem, Pkcs12, Jks }

    private static StoreType? TypeOf(string typeKey, IReadOnlyDictionary<string, string?> configs, byte[] content, List<Problem> problems)
    {
        var declared = configs.GetValueOrDefault(typeKey)?.Trim().ToUpperInvariant();
        switch (declared)
        {
            case "PEM": return StoreType.Pem;
            case "PKCS12": return StoreType.Pkcs12;
            case "JKS": return StoreType.Jks;
            case null or "":
                // Kafka's default is JKS; a store that is not one is taken for what its bytes say.
                if (KeyStoreFormat.IsJks(content)) return StoreType.Jks;
                return Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 4096)).Contains("-----BEGIN ") ? StoreType.Pem : StoreType.Pkcs12;
            default:
                problems.Add(new Problem(typeKey, $"'{declared}' is not supported (PEM or PKCS12)"));
                return null;
        }
    }

    private static byte[]? ReadStore(string key, string path, List<Problem> problems)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new Problem(key, $"cannot read {path}: {e.Message}"));
            return null;
        }
    }

    private static string JksMessage(string typeKey) =>
        $"JKS stores cannot be read by this runtime's Kafka client (librdkafka) ({typeKey}); convert it with `{KeyStoreFormat.JksToPkcs12}` or use PEM";

    private static void TranslateTruststore(string? location, IReadOnlyDictionary<string, string?> configs, Dictionary<string, string?> result, List<Problem> problems)
    {
        const string key = "ssl.truststore.location";
        if (string.IsNullOrWhiteSpace(location)) return;
        location = location.Trim();
        if (ReadStore(key, location, problems) is not { } content) return;
        switch (TypeOf("ssl.truststore.type", configs, content, problems))
        {
            case StoreType.Pem:
                result["ssl.ca.location"] = location;
                result["ssl.ca.pem"] = null;
                break;
            case StoreType.Jks:
                problems.Add(new Problem(key, JksMessage("ssl.truststore.type")));
                break;
            case StoreType.Pkcs12:
                try
                {
                    // librdkafka reads no PKCS12 truststore: its certificates go in as PEM text, kept in memory only.
                    var certificates = X509CertificateLoader.LoadPkcs12Collection(content, configs.GetValueOrDefault("ssl.truststore.password"),
                        X509KeyStorageFlags.EphemeralKeySet);
                    if (certificates.Count == 0) { problems.Add(new Problem(key, $"{location} holds no certificate")); return; }
                    result["ssl.ca.pem"] = string.Join("\n", certificates.Select(c => c.ExportCertificatePem()));
                    result["ssl.ca.location"] = null;
                    foreach (var certificate in certificates) certificate.Dispose();
                }
                catch (CryptographicException)
                {
                    problems.Add(new Problem(key, $"{location} could not be read as a PKCS12 truststore (wrong ssl.truststore.password, or not PKCS12)"));
                }
                break;
        }
    }

    [GeneratedRegex(@"-----BEGIN (?<label>[A-Z0-9 ]+)-----[\s\S]*?-----END \k<label>-----")]
    private static partial Regex PemBlock();

    private static void TranslateKeystore(string? location, IReadOnlyDictionary<string, string?> configs, Dictionary<string, string?> result, List<Problem> problems)
    {
        const string key = "ssl.keystore.location";
        if (string.IsNullOrWhiteSpace(location)) return;
        location = location.Trim();
        if (ReadStore(key, location, problems) is not { } content) return;
        switch (TypeOf("ssl.keystore.type", configs, content, problems))
        {
            case StoreType.Pkcs12:
                result["ssl.keystore.location"] = location;
                if (configs.GetValueOrDefault("ssl.keystore.password") is { } password) result["ssl.keystore.password"] = password;
                break;
            case StoreType.Jks:
                problems.Add(new Problem(key, JksMessage("ssl.keystore.type")));
                break;
            case StoreType.Pem:
                var blocks = PemBlock().Matches(Encoding.UTF8.GetString(content)).ToList();
                var keyBlock = blocks.FirstOrDefault(b => b.Groups["label"].Value.EndsWith("PRIVATE KEY", StringComparison.Ordinal));
                var certificates = blocks.Where(b => b.Groups["label"].Value == "CERTIFICATE").Select(b => b.Value).ToList();
                if (keyBlock is null || certificates.Count == 0)
                {
                    problems.Add(new Problem(key, $"{location} must hold a private key and its certificate chain in PEM"));
                    return;
                }
                result["ssl.key.pem"] = keyBlock.Value;
                result["ssl.certificate.pem"] = string.Join("\n", certificates);
                break;
        }
    }
}
