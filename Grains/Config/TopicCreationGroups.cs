using OrleansConnect.Connect.Config;

namespace OrleansConnect.Grains.Config;

/// <summary>The topic.creation.&lt;group&gt;.* keys of source connectors (Kafka's TopicCreationConfig): the default
/// group needs replication.factor and partitions; other groups inherit them and add include/exclude regexes.</summary>
public static class TopicCreationGroups
{
    public const string DefaultGroup = "default";
    public const string Include = "include";
    public const string Exclude = "exclude";
    public const string ReplicationFactor = "replication.factor";
    public const string Partitions = "partitions";

    private const string IncludeDoc = "A list of regular expression literals used to match the topic names used by the source connector. "
        + "This list is used to include topics that should be created using the topic settings defined by this group.";
    private const string ExcludeDoc = "A list of regular expression literals used to match the topic names used by the source connector. "
        + "This list is used to exclude topics from being created with the topic settings defined by this group. "
        + "Note that exclusion rules have precedent and override any inclusion rules for the topics.";
    private const string ReplicationFactorDoc = "The replication factor for new topics created for this connector using this group. "
        + "This value may be -1 to use the broker's default replication factor, or may be a positive number not larger than the number "
        + "of brokers in the Kafka cluster. For the default group this configuration is required. For any other group defined in "
        + "topic.creation.groups this config is optional and if it's missing it gets the value of the default group";
    private const string PartitionsDoc = "The number of partitions new topics created for this connector. This value may be -1 to use "
        + "the broker's default number of partitions, or a positive number representing the desired number of partitions. For the default "
        + "group this configuration is required. For any other group defined in topic.creation.groups this config is optional and if it's "
        + "missing it gets the value of the default group";

    /// <summary>The aliases listed in topic.creation.groups, without "default" (which always exists), each once.</summary>
    public static List<string> AliasesOf(string? groups) =>
        SplitList(groups).Where(g => g != DefaultGroup).Distinct(StringComparer.Ordinal).ToList();

    public static List<string> SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();

    /// <summary>Keys of the default group (no defaults for replication.factor and partitions).</summary>
    public static ConfigDef DefaultGroupDef() => GroupDef(DefaultGroup, ConfigDef.NoDefaultValue, ConfigDef.NoDefaultValue, ".*");

    /// <summary>Keys of a named group; replication.factor and partitions default to the default group's.</summary>
    public static ConfigDef NamedGroupDef(string alias, short defaultReplicationFactor, int defaultPartitions) =>
        GroupDef(alias, defaultReplicationFactor, defaultPartitions, "");

    private static ConfigDef GroupDef(string alias, object replicationDefault, object partitionsDefault, string includeDefault)
    {
        var order = 0;
        return new ConfigDef()
            .Define(Include, ConfigType.List, includeDefault, RegexList, Importance.Low, IncludeDoc, null, ++order, Width.Long,
                "Inclusion Topic Pattern for " + alias)
            .Define(Exclude, ConfigType.List, "", RegexList, Importance.Low, ExcludeDoc, null, ++order, Width.Long,
                "Exclusion Topic Pattern for " + alias)
            .Define(ReplicationFactor, ConfigType.Short, replicationDefault, ReplicationFactorValidator, Importance.Low, ReplicationFactorDoc,
                null, ++order, Width.Long, "Replication Factor for Topics in " + alias)
            .Define(Partitions, ConfigType.Int, partitionsDefault, PartitionsValidator, Importance.Low, PartitionsDoc,
                null, ++order, Width.Long, "Partition Count for Topics in " + alias);
    }

    private static readonly IValidator ReplicationFactorValidator = LambdaValidator.With((name, value) =>
        {
            if (value is short factor && factor != -1 && factor < 1)
                throw new ConfigException(name, value, "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default");
        },
        () => "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default");

    private static readonly IValidator PartitionsValidator = LambdaValidator.With((name, value) =>
        {
            if (value is int partitions && partitions != -1 && partitions < 1)
                throw new ConfigException(name, value, "Number of partitions must be positive, or -1 to use the broker's default");
        },
        () => "Positive number, or -1 to use the broker's default");

    private static readonly IValidator RegexList = LambdaValidator.With((name, value) =>
        {
            if (value is not System.Collections.IEnumerable patterns) return;
            foreach (var pattern in patterns)
            {
                try
                {
                    _ = new System.Text.RegularExpressions.Regex(pattern?.ToString() ?? "");
                }
                catch (ArgumentException e)
                {
                    throw new ConfigException(name, value, "Syntax error in regular expression: " + e.Message);
                }
            }
        },
        () => "A list of regular expressions");
}
