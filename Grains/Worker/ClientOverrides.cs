using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Grains.Worker;

/// <summary>A connector's producer.override.* / consumer.override.* / admin.override.* settings, governed by the
/// worker's connector.client.config.override.policy as Kafka Connect's override policies govern them:
/// None allows nothing, Principal allows only security.protocol, sasl.jaas.config and sasl.mechanism, All (the
/// default since Kafka 3.0) allows everything.</summary>
public static class ClientOverrides
{
    public const string Producer = "producer";
    public const string Consumer = "consumer";
    public const string Admin = "admin";

    private static readonly HashSet<string> PrincipalKeys = new(StringComparer.Ordinal)
    {
        "sasl.jaas.config", "sasl.mechanism", "security.protocol",
    };

    /// <summary>"producer.override." for "producer", and so on.</summary>
    public static string PrefixOf(string client) => client + ".override.";

    /// <summary>The policy's name as Kafka spells it in its messages (None, Principal, All).</summary>
    public static string PolicyName(WorkerConfig config) =>
        (config.GetString(WorkerConfig.ClientConfigOverridePolicy) ?? "All").ToLowerInvariant() switch
        {
            "none" => "None",
            "principal" => "Principal",
            _ => "All",
        };

    public static bool IsAllowed(string policyName, string key) => policyName switch
    {
        "None" => false,
        "Principal" => PrincipalKeys.Contains(key),
        _ => true,
    };

    /// <summary>Kafka's message for a key the policy refuses.</summary>
    public static string NotAllowedMessage(string policyName, string key) =>
        $"The '{policyName}' policy does not allow '{key}' to be overridden in the connector configuration.";

    /// <summary>The overrides of one client type (keys without the prefix), in the config's order.</summary>
    public static List<KeyValuePair<string, string?>> Requested(IReadOnlyDictionary<string, string?> connectorConfig, string client)
    {
        var prefix = PrefixOf(client);
        return connectorConfig
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, string?>(kv.Key[prefix.Length..], kv.Value))
            .ToList();
    }

    /// <summary>The overrides to apply to a client of the connector. Throws ConnectException when the policy refuses
    /// one (validation refuses such configs before they are stored; this catches a policy tightened since).</summary>
    public static Dictionary<string, string?> Of(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig, string client)
    {
        var policy = PolicyName(worker.Config);
        var requested = Requested(connectorConfig.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), client);
        var refused = requested.Where(kv => !IsAllowed(policy, kv.Key)).Select(kv => kv.Key).ToList();
        if (refused.Count > 0)
        {
            throw new ConnectException("Client Config Overrides not allowed: "
                + string.Join(" ", refused.Select(k => NotAllowedMessage(policy, k))));
        }
        var problems = new List<Kafka.KafkaSecurityConfig.Problem>();
        var translated = Translate(worker.Config, requested.ToDictionary(kv => kv.Key, kv => kv.Value), client, problems);
        if (problems.Count > 0)
            throw new ConnectException(string.Join(" ", problems.Select(p => $"{PrefixOf(client)}{p.Key}: {p.Message}")));
        return translated;
    }

    /// <summary>Overrides written with Kafka's Java client names, translated to librdkafka's; the worker's
    /// security.protocol applies when the overrides do not set one.</summary>
    public static Dictionary<string, string?> Translate(WorkerConfig workerConfig, IReadOnlyDictionary<string, string?> overrides, string client,
        List<Kafka.KafkaSecurityConfig.Problem> problems)
    {
        Dictionary<string, string?> worker;
        try { worker = workerConfig.ClientConfigs(client); }
        catch (Connect.Config.ConfigException) { worker = []; } // the worker's own settings were refused at startup
        var translated = Kafka.KafkaSecurityConfig.Translate(overrides, problems, worker.GetValueOrDefault(Kafka.KafkaSecurityConfig.SecurityProtocol));
        if (overrides.ContainsKey(Kafka.KafkaSecurityConfig.SecurityProtocol)
            && Kafka.KafkaSecurityConfig.MissingMechanism(translated, worker.GetValueOrDefault("sasl.mechanisms")) is { } missing)
            problems.Add(new(Kafka.KafkaSecurityConfig.SecurityProtocol, missing));
        return translated;
    }
}
