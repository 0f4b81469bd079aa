namespace OrleansConnect.Grains.Security;

/// <summary>Config names whose values are secrets whatever a ConfigDef says: Kafka's PASSWORD-type client keys (which
/// arrive as producer.override.*, consumer.*, or converter settings such as value.converter.basic.auth.user.info, so no
/// ConfigDef of ours describes them) and their librdkafka counterparts.</summary>
public static class SecretNames
{
    private static readonly string[] Suffixes =
    [
        "password",                       // ssl.key.password, ssl.keystore.password, sasl.password, connection.password...
        "sasl.jaas.config",
        "basic.auth.user.info",
        "ssl.keystore.key",
        "ssl.key.pem",
        "sasl.oauthbearer.client.secret",
        "bearer.auth.token",
    ];

    public static bool IsSecretName(string key) =>
        Suffixes.Any(s => key.EndsWith(s, StringComparison.OrdinalIgnoreCase));
}
