using OrleansConnect.Connect.Config;

namespace OrleansConnect.Grains.Worker;

using Range = OrleansConnect.Connect.Config.Range;

/// <summary>The silo's worker config: connect-distributed.properties keys (Kafka's names and defaults where
/// Kafka has them) plus the runtime's own keys. Client settings pass through with the producer., consumer.
/// and admin. prefixes as in Kafka Connect.</summary>
public sealed class WorkerConfig : AbstractConfig
{
    public const string BootstrapServers = "bootstrap.servers";
    public const string GroupId = "group.id";
    public const string KeyConverter = "key.converter";
    public const string ValueConverter = "value.converter";
    public const string HeaderConverter = "header.converter";
    public const string OffsetStorageTopic = "offset.storage.topic";
    public const string OffsetStoragePartitions = "offset.storage.partitions";
    public const string OffsetStorageReplicationFactor = "offset.storage.replication.factor";
    public const string ConfigStorageTopic = "config.storage.topic";
    public const string StatusStorageTopic = "status.storage.topic";
    public const string OffsetFlushInterval = "offset.flush.interval.ms";
    public const string OffsetFlushTimeout = "offset.flush.timeout.ms";
    public const string TaskShutdownGracefulTimeout = "task.shutdown.graceful.timeout.ms";
    public const string Listeners = "listeners";
    public const string RestHostName = "rest.host.name";
    public const string RestPort = "rest.port";
    public const string RestAdvertisedHostName = "rest.advertised.host.name";
    public const string RestAdvertisedPort = "rest.advertised.port";
    public const string PluginPath = "plugin.path";
    public const string TopicCreationEnable = "topic.creation.enable";
    public const string TopicTrackingEnable = "topic.tracking.enable";
    public const string TopicTrackingAllowReset = "topic.tracking.allow.reset";
    public const string ClientConfigOverridePolicy = "connector.client.config.override.policy";
    public const string DataDir = "data.dir";
    public const string StorageProvider = "storage.provider";
    public const string StorageConnectionString = "storage.connection.string";
    public const string StorageConnectionPoolMax = "storage.connection.pool.max";
    public const string TaskRestartBackoffInitial = "task.restart.backoff.initial.ms";
    public const string TaskRestartBackoffMax = "task.restart.backoff.max.ms";
    public const string ReconcileInterval = "reconcile.interval.ms";
    public const string EmbeddedBrokerCount = "embedded.broker.count";
    public const string EmbeddedBrokerNumPartitions = "embedded.broker.num.partitions";
    public const string EmbeddedBrokerSnapshotInterval = "embedded.broker.snapshot.interval.ms";
    public const string SiloPort = "silo.port";
    public const string SiloAdvertisedHostName = "silo.advertised.host.name";
    public const string ClusterMembershipProvider = "cluster.membership.provider";
    public const string ClusterMembershipConnectionString = "cluster.membership.connection.string";
    public const string SiloTlsCertificatePath = "silo.tls.certificate.path";
    public const string SiloTlsCertificatePassword = "silo.tls.certificate.password";
    public const string DashboardEnable = "dashboard.enable";
    public const string MetricsEnable = "metrics.enable";
    // The schema registry the silo serves (issue 21, docs/schema-registry.md).
    public const string SchemaRegistryEnable = "schema.registry.enable";
    public const string SchemaRegistryListeners = "schema.registry.listeners";
    public const string SchemaRegistryPort = "schema.registry.port";
    public const string SchemaRegistryTopic = "schema.registry.topic";
    public const string SchemaRegistryTopicReplicationFactor = "schema.registry.topic.replication.factor";
    public const string TasksMaxPerSilo = "tasks.max.per.silo";
    public const string ConnectorTasksMaxLimit = "connector.tasks.max.limit";
    public const string MembershipProbePeriod = "membership.probe.period.ms";
    public const string SiloDeathTimeout = "silo.death.timeout.ms";
    // REST API: HTTPS and authentication (issue 14). The unprefixed ssl.* keys Connect falls back to are read from the
    // originals, not defined here: they also configure Kafka clients, which are not this block's business.
    public const string RestAuthBasicCredentialsFile = "rest.auth.basic.credentials.file";
    public const string ListenersHttpsPrefix = "listeners.https.";
    public const string ListenersHttpsKeystoreLocation = ListenersHttpsPrefix + "ssl.keystore.location";
    public const string ListenersHttpsKeystorePassword = ListenersHttpsPrefix + "ssl.keystore.password";
    public const string ListenersHttpsKeystoreType = ListenersHttpsPrefix + "ssl.keystore.type";
    public const string ListenersHttpsKeyPassword = ListenersHttpsPrefix + "ssl.key.password";
    public const string ListenersHttpsCertificateLocation = ListenersHttpsPrefix + "ssl.certificate.location";
    public const string ListenersHttpsKeyLocation = ListenersHttpsPrefix + "ssl.key.location";
    public const string RestAuthJwtSecret = "rest.auth.jwt.secret";
    public const string RestAuthJwtPublicKeyLocation = "rest.auth.jwt.public.key.location";
    public const string RestAuthJwtIssuer = "rest.auth.jwt.issuer";
    public const string RestAuthJwtAudience = "rest.auth.jwt.audience";
    public const string RestAuthJwtUserClaim = "rest.auth.jwt.user.claim";
    public const string RestAuthJwtRoleClaim = "rest.auth.jwt.role.claim";

    // Secrets, config providers and file confinement (docs/security.md).
    public const string SecretsEncryptionKeyFile = "secrets.encryption.key.file";
    public const string SecretsEncryptionPreviousKeyFile = "secrets.encryption.previous.key.file";
    public const string ConfigProviders = "config.providers";
    public const string FileAllowedPaths = "file.allowed.paths";

    public const string JsonConverterClass = "org.apache.kafka.connect.json.JsonConverter";
    public const string SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

    public static ConfigDef ConfigDefinition { get; } = new ConfigDef()
        .Define(BootstrapServers, ConfigType.List, "", null, Importance.High,
            "Kafka brokers to connect to (host:port,...). Empty starts the embedded Kafka-protocol broker (development only).")
        .Define(GroupId, ConfigType.String, "connect-cluster", new NonEmptyString(), Importance.High,
            "Identifies the Connect cluster this silo belongs to.")
        .Define(KeyConverter, ConfigType.Class, JsonConverterClass, null, Importance.High,
            "Converter for record keys, unless a connector sets key.converter.")
        .Define(ValueConverter, ConfigType.Class, JsonConverterClass, null, Importance.High,
            "Converter for record values, unless a connector sets value.converter.")
        .Define(HeaderConverter, ConfigType.Class, SimpleHeaderConverterClass, null, Importance.Low,
            "HeaderConverter for record headers, unless a connector sets header.converter.")
        .Define(OffsetStorageTopic, ConfigType.String, "connect-offsets", new NonEmptyString(), Importance.High,
            "Kafka topic where source connector offsets are stored (Kafka Connect's format).")
        .Define(OffsetStoragePartitions, ConfigType.Int, 25, Range.AtLeast(1), Importance.Low,
            "Partitions of the offset storage topic when it is created.")
        .Define(OffsetStorageReplicationFactor, ConfigType.Short, (short)3, null, Importance.Low,
            "Replication factor of the offset storage topic when it is created (capped at the broker count).")
        .Define(ConfigStorageTopic, ConfigType.String, "connect-configs", null, Importance.Low,
            "Accepted for compatibility; connector configs live in grain state, not in a topic.")
        .Define(StatusStorageTopic, ConfigType.String, "connect-status", null, Importance.Low,
            "Accepted for compatibility; statuses are held by the grains, not in a topic.")
        .Define(OffsetFlushInterval, ConfigType.Long, 60000L, Range.AtLeast(1L), Importance.Low,
            "Interval at which to try committing offsets for tasks.")
        .Define(OffsetFlushTimeout, ConfigType.Long, 5000L, Range.AtLeast(1L), Importance.Low,
            "Maximum milliseconds to wait for records to flush and offsets to be committed before cancelling the attempt.")
        .Define(TaskShutdownGracefulTimeout, ConfigType.Long, 5000L, Range.AtLeast(0L), Importance.Low,
            "Time to wait for a task to stop gracefully.")
        .Define(Listeners, ConfigType.List, "", null, Importance.Low,
            "REST listeners, e.g. http://0.0.0.0:8083. Empty uses rest.host.name and rest.port.")
        .Define(RestHostName, ConfigType.String, null, null, Importance.Low, "Interface the REST API binds to (all when unset).")
        .Define(RestPort, ConfigType.Int, 8083, Range.Between(0, 65535), Importance.Low, "REST API port (0 = a free port).")
        .Define(RestAdvertisedHostName, ConfigType.String, null, null, Importance.Low,
            "Host name given to other silos and shown as worker_id.")
        .Define(RestAdvertisedPort, ConfigType.Int, null, null, Importance.Low, "Port given to other silos and shown in worker_id.")
        .Define(PluginPath, ConfigType.List, "", null, Importance.Low,
            "Directories (or DLLs) holding plugin assemblies.")
        .Define(TopicCreationEnable, ConfigType.Boolean, true, null, Importance.Low,
            "Whether source connectors may create their topics from topic.creation.* settings.")
        .Define(TopicTrackingEnable, ConfigType.Boolean, true, null, Importance.Low, "Track the topics each connector uses.")
        .Define(TopicTrackingAllowReset, ConfigType.Boolean, true, null, Importance.Low, "Allow resetting tracked topics.")
        .Define(ClientConfigOverridePolicy, ConfigType.String, "All", CaseInsensitiveValidString.In("None", "Principal", "All"), Importance.Medium,
            "Which client configs connectors may override: None, Principal or All.")
        .Define(DataDir, ConfigType.String, "data", new NonEmptyString(), Importance.Medium,
            "Directory for the silo's own files (the SQLite database of the embedded default).")
        .Define(StorageProvider, ConfigType.String, "sqlite", CaseInsensitiveValidString.In("sqlite", "postgresql"), Importance.Medium,
            "Where grain state and reminders are stored.")
        .Define(StorageConnectionString, ConfigType.Password, null, null, Importance.Medium,
            "ADO.NET connection string for the storage; unset uses <data.dir>/orleansconnect.db with sqlite.")
        .Define(StorageConnectionPoolMax, ConfigType.Int, 10, Range.Between(1, 1000), Importance.Medium,
            "Most PostgreSQL connections a silo opens per distinct connection string (Npgsql's Maximum Pool Size): grain state, reminders " +
            "and PostgreSQL membership share one pool when they use the same string. The default lets 3 silos fit PostgreSQL's default " +
            "max_connections (100) with room to spare. An explicit Maximum Pool Size in a connection string wins. Not used with sqlite.")
        .Define(TaskRestartBackoffInitial, ConfigType.Long, 1000L, Range.AtLeast(1L), Importance.Low,
            "Delay before the first automatic restart of a FAILED task; doubles with each attempt.")
        .Define(TaskRestartBackoffMax, ConfigType.Long, 60000L, Range.AtLeast(1L), Importance.Low,
            "Cap on the delay between automatic restarts of a FAILED task.")
        .Define(ReconcileInterval, ConfigType.Long, 60000L, Range.AtLeast(1000L), Importance.Low,
            "Period of the durable reminder that drives each connector to its target state.")
        .Define(EmbeddedBrokerCount, ConfigType.Int, 3, Range.Between(1, 16), Importance.Low,
            "Brokers in the embedded Kafka-protocol cluster (only without bootstrap.servers).")
        .Define(EmbeddedBrokerNumPartitions, ConfigType.Int, 1, Range.AtLeast(1), Importance.Low,
            "Partitions of a topic that a connector reaches without topic.creation.* on the embedded broker (a Kafka broker's num.partitions).")
        .Define(EmbeddedBrokerSnapshotInterval, ConfigType.Long, 5000L, Range.AtLeast(0L), Importance.Low,
            "How often the embedded broker's new records and changed group offsets are appended to data.dir/embedded-kafka.log; a silo killed without a clean stop loses at most this much (0: saved at clean stops only).")
        .Define(ClusterMembershipProvider, ConfigType.String, "localhost", CaseInsensitiveValidString.In("localhost", "redis", "postgresql"), Importance.High,
            "How silos find each other: localhost (one silo, the default), redis or postgresql (a cluster).")
        .Define(ClusterMembershipConnectionString, ConfigType.Password, null, null, Importance.High,
            "The membership store: a StackExchange.Redis configuration string (127.0.0.1:6379) or an Npgsql connection string; unset with postgresql uses storage.connection.string.")
        .Define(SiloPort, ConfigType.Int, 11111, Range.Between(0, 65535), Importance.Medium,
            "Port of the silo-to-silo channel (0 = a free port; with localhost clustering a free port unless set).")
        .Define(SiloAdvertisedHostName, ConfigType.String, null, null, Importance.Medium,
            "Host name or IP address other silos reach this silo at (default: the REST advertised host).")
        .Define(SiloTlsCertificatePath, ConfigType.String, null, null, Importance.High,
            "A PKCS#12 certificate: silo-to-silo traffic uses mutual TLS with it. Without it the silo port belongs on a private network.")
        .Define(SiloTlsCertificatePassword, ConfigType.Password, null, null, Importance.High,
            "The password of silo.tls.certificate.path.")
        .Define(MembershipProbePeriod, ConfigType.Long, 1000L, Range.AtLeast(100L), Importance.Low,
            "How often a silo probes the others (Orleans' ClusterMembershipOptions.ProbeTimeout).")
        .Define(SiloDeathTimeout, ConfigType.Long, 3000L, Range.AtLeast(200L), Importance.Low,
            "How long a silo may miss probes before it is declared dead (probes missed = this / membership.probe.period.ms).")
        .Define(DashboardEnable, ConfigType.Boolean, true, null, Importance.Low,
            "Serve the Orleans Dashboard under /dashboard on the REST listener.")
        .Define(MetricsEnable, ConfigType.Boolean, true, null, Importance.Low,
            "Export metrics: GET /metrics in the Prometheus text format, and OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, nothing listens to the meters and /metrics answers 404; GET /connectors/{name}/metrics and the console still show the tasks' counts.")
        .Define(SchemaRegistryEnable, ConfigType.Boolean, null, null, Importance.Medium,
            "Serve a Confluent-compatible schema registry on its own listener. Unset: on with the embedded broker (empty bootstrap.servers), off with a real Kafka.")
        .Define(SchemaRegistryListeners, ConfigType.List, "", null, Importance.Medium,
            "The schema registry's listeners, e.g. http://0.0.0.0:8081 (https:// uses the REST listener's certificate). Empty uses rest.host.name and schema.registry.port.")
        .Define(SchemaRegistryPort, ConfigType.Int, 8081, Range.Between(0, 65535), Importance.Medium,
            "The schema registry's port when schema.registry.listeners is empty (0 = a free port).")
        .Define(SchemaRegistryTopic, ConfigType.String, "_schemas", new NonEmptyString(), Importance.Medium,
            "The compacted one-partition topic holding schemas, ids and settings in Confluent's format (Confluent's kafkastore.topic).")
        .Define(SchemaRegistryTopicReplicationFactor, ConfigType.Short, (short)3, null, Importance.Low,
            "Replication factor of the schemas topic when it is created (capped at the broker count).")
        .Define(TasksMaxPerSilo, ConfigType.Int, null,
            LambdaValidator.With((name, value) => { if (value is int n && n < 1) throw new ConfigException(name, value, "Value must be at least 1"); }, () => "[1,...] or unset"),
            Importance.Medium,
            "How many tasks one silo runs at most; more stay UNASSIGNED. Default: sized from the process's file limit and the machine's memory (TaskBudget).")
        .Define(ConnectorTasksMaxLimit, ConfigType.Int, 1000, Range.AtLeast(1), Importance.Medium,
            "The largest tasks.max a connector may ask for; a higher one is refused at create and update.")
        // REST API: HTTPS and authentication (issue 14).
        .Define(RestAuthBasicCredentialsFile, ConfigType.String, null, null, Importance.High,
            "A credentials file (users add --file ...): the REST API then asks every request but GET /health for HTTP Basic credentials and checks the user's role. Unset: no authentication, as in Kafka Connect.")
        .Define(ListenersHttpsKeystoreLocation, ConfigType.String, null, null, Importance.High,
            "The PKCS12 keystore of an https:// listener (falls back to ssl.keystore.location when no listeners.https.* key is set).")
        .Define(ListenersHttpsKeystorePassword, ConfigType.Password, null, null, Importance.High,
            "The password of the keystore.")
        .Define(ListenersHttpsKeystoreType, ConfigType.String, null, null, Importance.Medium,
            "PKCS12 (default) or PEM; JKS is refused: convert it to PKCS12.")
        .Define(ListenersHttpsKeyPassword, ConfigType.Password, null, null, Importance.High,
            "The password of the private key: of an encrypted PEM key, or of a PKCS12 keystore whose key password differs from the store's.")
        .Define(ListenersHttpsCertificateLocation, ConfigType.String, null, null, Importance.High,
            "A PEM certificate (chain) file for an https:// listener, with listeners.https.ssl.key.location.")
        .Define(ListenersHttpsKeyLocation, ConfigType.String, null, null, Importance.High,
            "The PEM private key file of listeners.https.ssl.certificate.location.")
        .Define(RestAuthJwtSecret, ConfigType.Password, null, null, Importance.High,
            "An HMAC secret (at least 32 bytes) that signs bearer tokens (HS256/384/512): sets bearer-token authentication on.")
        .Define(RestAuthJwtPublicKeyLocation, ConfigType.String, null, null, Importance.High,
            "A PEM RSA or EC public key that signs bearer tokens (RS*, PS*, ES*): sets bearer-token authentication on.")
        .Define(RestAuthJwtIssuer, ConfigType.String, null, null, Importance.Medium, "The iss bearer tokens must carry (unchecked when unset).")
        .Define(RestAuthJwtAudience, ConfigType.String, null, null, Importance.Medium, "The aud bearer tokens must carry (unchecked when unset).")
        .Define(RestAuthJwtUserClaim, ConfigType.String, "sub", new NonEmptyString(), Importance.Low, "The claim naming the user.")
        .Define(RestAuthJwtRoleClaim, ConfigType.String, "role", new NonEmptyString(), Importance.Low,
            "The claim holding the role: viewer, operator or admin.")
        // Secrets, config providers and file confinement (docs/security.md).
        .Define(SecretsEncryptionKeyFile, ConfigType.String, null, null, Importance.High,
            "A file with 32 random bytes (raw or base64): secret connector config values are kept in grain state encrypted with it (AES-GCM). Unset stores them as given.")
        .Define(SecretsEncryptionPreviousKeyFile, ConfigType.String, null, null, Importance.Low,
            "The key secrets.encryption.key.file replaced: values written with it still decrypt and are re-encrypted with the current key when their connector activates.")
        .Define(ConfigProviders, ConfigType.List, "", null, Importance.Low,
            "Names of config providers (KIP-297) for ${name:path:key} references in connector configs; config.providers.<name>.class and .param.* configure each.")
        .Define(FileAllowedPaths, ConfigType.List, "", null, Importance.Medium,
            "Directories FileStreamSource and FileStreamSink may read and write below (canonical paths, symbolic links resolved). Empty allows any path, as in Kafka.");

    public WorkerConfig(IReadOnlyDictionary<string, string?> props) : base(ConfigDefinition, props) { }

    public bool UsesEmbeddedBroker => GetList(BootstrapServers).Count == 0;

    /// <summary>True when silos form a cluster (redis or postgresql membership), false for the one-silo default.</summary>
    public bool IsClustered => !string.Equals(GetString(ClusterMembershipProvider), "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>Client settings given to every producer/consumer/admin client: the worker's top-level security settings
    /// (security.protocol, sasl.*, ssl.*, which Connect applies to every client), then the prefixed keys, written as
    /// Kafka's Java clients take them and translated to librdkafka's names (<see cref="Kafka.KafkaSecurityConfig"/>).</summary>
    public Dictionary<string, string?> ClientConfigs(string prefix)
    {
        var configs = Kafka.KafkaSecurityConfig.TopLevel(Originals);
        foreach (var (key, value) in OriginalsWithPrefix(prefix + ".")) configs[key] = value;
        // admin.listeners (and its admin.listeners.https.* settings) belong to the REST server, not to admin clients.
        if (prefix == "admin")
        {
            foreach (var key in configs.Keys.Where(k => k == "listeners" || k.StartsWith("listeners.", StringComparison.Ordinal)).ToList())
                configs.Remove(key);
        }
        var translated = Kafka.KafkaSecurityConfig.Translate(configs, prefix + ".");
        if (Kafka.KafkaSecurityConfig.MissingMechanism(translated) is { } missing) throw new ConfigException($"{prefix} client: {missing}");
        return translated;
    }
}
