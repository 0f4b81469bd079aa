using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;

namespace OrleansConnect.Grains.Config;

using Range = OrleansConnect.Connect.Config.Range;

/// <summary>The framework keys every connector config has (Connect's ConnectorConfig, SinkConnectorConfig,
/// SourceConnectorConfig): names, types, defaults, groups and order as Kafka defines them.</summary>
public static class ConnectorConfig
{
    public const string CommonGroup = "Common";
    public const string TransformsGroup = "Transforms";
    public const string PredicatesGroup = "Predicates";
    public const string ErrorGroup = "Error Handling";
    public const string TopicCreationGroup = "Topic Creation";
    public const string ExactlyOnceGroup = "Exactly Once Support";
    public const string OffsetsTopicGroup = "offsets.topic";

    public const string Name = "name";
    public const string ConnectorClass = "connector.class";
    public const string TasksMax = "tasks.max";
    public const string TasksMaxEnforce = "tasks.max.enforce";
    public const string KeyConverter = "key.converter";
    public const string ValueConverter = "value.converter";
    public const string HeaderConverter = "header.converter";
    public const string ConfigActionReload = "config.action.reload";
    public const string Transforms = "transforms";
    public const string Predicates = "predicates";
    public const string ErrorsRetryTimeout = "errors.retry.timeout";
    public const string ErrorsRetryMaxDelay = "errors.retry.delay.max.ms";
    public const string ErrorsTolerance = "errors.tolerance";
    public const string ErrorsLogEnable = "errors.log.enable";
    public const string ErrorsLogIncludeMessages = "errors.log.include.messages";

    public const string Topics = "topics";
    public const string TopicsRegex = "topics.regex";
    public const string DlqTopicName = "errors.deadletterqueue.topic.name";
    public const string DlqReplicationFactor = "errors.deadletterqueue.topic.replication.factor";
    public const string DlqContextHeaders = "errors.deadletterqueue.context.headers.enable";

    public const string TopicCreationGroups = "topic.creation.groups";
    public const string TopicCreationPrefix = "topic.creation.";
    public const string ExactlyOnceSupport = "exactly.once.support";
    public const string TransactionBoundary = "transaction.boundary";
    public const string TransactionBoundaryInterval = "transaction.boundary.interval.ms";
    public const string OffsetsStorageTopic = "offsets.storage.topic";

    /// <summary>Connect's alias check on transforms/predicates: a repeated alias is refused at validate and create
    /// ("Duplicate alias provided."), before a task could fail on it.</summary>
    private static IValidator UniqueAliases(string kind) => LambdaValidator.With(
        (name, value) =>
        {
            if (value is System.Collections.IList aliases
                && aliases.Count > aliases.Cast<object?>().Select(a => a as string ?? JavaValueText.Format(a)).Distinct(StringComparer.Ordinal).Count())
                throw new ConfigException(name, value, "Duplicate alias provided.");
        },
        () => "unique " + kind + " aliases");

    /// <summary>Keys shared by sources and sinks.</summary>
    public static ConfigDef Common() => new ConfigDef()
        .Define(Name, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyStringWithoutControlChars(), Importance.High,
            "Globally unique name to use for this connector.", CommonGroup, 1, Width.Medium, "Connector name")
        .Define(ConnectorClass, ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.High,
            "Name or alias of the class for this connector. Must be a subclass of Connector.", CommonGroup, 2, Width.Long, "Connector class")
        .Define(TasksMax, ConfigType.Int, 1, Range.AtLeast(1), Importance.High,
            "Maximum number of tasks to use for this connector.", CommonGroup, 3, Width.Short, "Tasks max")
        .Define(TasksMaxEnforce, ConfigType.Boolean, true, null, Importance.Low,
            "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector.", CommonGroup, 4, Width.Short, "Enforce tasks max")
        .Define(KeyConverter, ConfigType.Class, null, null, Importance.Low,
            "Converter class used to convert between Kafka Connect format and the serialized form written to Kafka (record keys). Defaults to the worker's key.converter.",
            CommonGroup, 5, Width.Short, "Key converter class")
        .Define(ValueConverter, ConfigType.Class, null, null, Importance.Low,
            "Converter class used to convert between Kafka Connect format and the serialized form written to Kafka (record values). Defaults to the worker's value.converter.",
            CommonGroup, 6, Width.Short, "Value converter class")
        .Define(HeaderConverter, ConfigType.Class, null, null, Importance.Low,
            "HeaderConverter class used to convert between Kafka Connect format and the serialized form written to Kafka (record headers). Defaults to the worker's header.converter.",
            CommonGroup, 7, Width.Short, "Header converter class")
        .Define(ConfigActionReload, ConfigType.String, "restart", CaseInsensitiveValidString.In("none", "restart"), Importance.Low,
            "The action to take when external configuration providers change a connector's configuration: none or restart.",
            CommonGroup, 8, Width.Medium, "Reload Action")
        .Define(Transforms, ConfigType.List, "", UniqueAliases("transformation"), Importance.Low,
            "Aliases for the transformations to be applied to records.", TransformsGroup, 1, Width.Long, "Transforms")
        .Define(Predicates, ConfigType.List, "", UniqueAliases("predicate"), Importance.Low,
            "Aliases for the predicates used by transformations.", PredicatesGroup, 1, Width.Long, "Predicates")
        .Define(ErrorsRetryTimeout, ConfigType.Long, 0L, null, Importance.Medium,
            "The maximum duration in milliseconds that a failed operation will be reattempted. 0 disables retries, -1 retries forever.",
            ErrorGroup, 1, Width.Medium, "Retry Timeout for Errors")
        .Define(ErrorsRetryMaxDelay, ConfigType.Long, 60000L, null, Importance.Medium,
            "The maximum duration in milliseconds between consecutive retry attempts.", ErrorGroup, 2, Width.Medium, "Maximum Delay Between Retries for Errors")
        .Define(ErrorsTolerance, ConfigType.String, "none", CaseInsensitiveValidString.In("none", "all"), Importance.Medium,
            "Behavior for tolerating errors during connector operation: 'none' fails the task on an error, 'all' skips problematic records.",
            ErrorGroup, 3, Width.Short, "Error Tolerance")
        .Define(ErrorsLogEnable, ConfigType.Boolean, false, null, Importance.Medium,
            "If true, write each error and the details of the failed operation and problematic record to the log.", ErrorGroup, 4, Width.Short, "Log Errors")
        .Define(ErrorsLogIncludeMessages, ConfigType.Boolean, false, null, Importance.Medium,
            "Whether to include in the log the Connect record that resulted in a failure.", ErrorGroup, 5, Width.Short, "Log Error Details");

    /// <summary>Framework keys of a sink connector.</summary>
    public static ConfigDef Sink() => Common()
        .Define(Topics, ConfigType.List, "", null, Importance.High,
            "List of topics to consume, separated by commas.", CommonGroup, 4, Width.Long, "Topics")
        .Define(TopicsRegex, ConfigType.String, "", null, Importance.High,
            "Regular expression giving topics to consume. Only one of topics or topics.regex should be specified.", CommonGroup, 4, Width.Long, "Topics regex")
        .Define(DlqTopicName, ConfigType.String, "", null, Importance.Medium,
            "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector.",
            ErrorGroup, 6, Width.Medium, "Dead Letter Queue Topic Name")
        .Define(DlqReplicationFactor, ConfigType.Short, (short)3, null, Importance.Medium,
            "Replication factor used to create the dead letter queue topic when it doesn't already exist.", ErrorGroup, 7, Width.Medium, "Dead Letter Queue Topic Replication Factor")
        .Define(DlqContextHeaders, ConfigType.Boolean, false, null, Importance.Medium,
            "If true, add headers containing error context to the messages written to the dead letter queue.", ErrorGroup, 8, Width.Medium, "Enable Error Context Headers");

    /// <summary>Framework keys of a source connector.</summary>
    public static ConfigDef Source() => Common()
        .Define(TopicCreationGroups, ConfigType.List, "", null, Importance.Low,
            "Groups of configurations for topics created by source connectors.", TopicCreationGroup, 1, Width.Long, "Topic Creation Groups")
        .Define(ExactlyOnceSupport, ConfigType.String, "requested", CaseInsensitiveValidString.In("requested", "required"), Importance.Medium,
            "Permitted values are requested, required.", ExactlyOnceGroup, 1, Width.Short, "Exactly once support requirement")
        .Define(TransactionBoundary, ConfigType.String, "poll", CaseInsensitiveValidString.In("poll", "interval", "connector"), Importance.Medium,
            "Permitted values are poll, interval, connector.", ExactlyOnceGroup, 2, Width.Short, "Transaction Boundary")
        .Define(TransactionBoundaryInterval, ConfigType.Long, null, null, Importance.Low,
            "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits.", ExactlyOnceGroup, 3, Width.Short, "Transaction boundary interval")
        .Define(OffsetsStorageTopic, ConfigType.String, null, null, Importance.Low,
            "The name of a separate offsets topic to use for this connector.", OffsetsTopicGroup, 1, Width.Long, "Offsets topic");

    /// <summary>Keys defined by the framework for a connector type, used to decide which keys belong to the connector.</summary>
    public static ConfigDef ForType(bool isSink) => isSink ? Sink() : Source();
}
