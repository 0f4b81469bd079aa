using System.Reflection;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Plugins.Storage;
using OrleansConnect.Plugins.Transforms;
using Xunit;

namespace OrleansConnect.Tests;

/// <summary>What the worker's plugin registry relies on: Kafka names, one open type parameter, closable over both record types.</summary>
public class PluginCatalogTests
{
    private static readonly Assembly PluginsAssembly = typeof(SimpleHeaderConverter).Assembly;

    private static IEnumerable<Type> Concrete(Type openInterface) =>
        PluginsAssembly.GetTypes().Where(t => !t.IsAbstract && t.IsClass && t.IsGenericTypeDefinition &&
            t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == openInterface));

    [Fact]
    public void EveryTransformationAndPredicateIsNamedAndClosable()
    {
        var transformations = Concrete(typeof(ITransformation<>)).ToList();
        var predicates = Concrete(typeof(IPredicate<>)).ToList();
        var names = new List<string>();
        foreach (var type in transformations.Concat(predicates))
        {
            var name = type.GetCustomAttribute<PluginNameAttribute>()?.ClassName;
            Assert.NotNull(name);
            names.Add(name);
            Assert.Single(type.GetGenericArguments());
            foreach (var recordType in new[] { typeof(SourceRecord), typeof(SinkRecord) })
            {
                var instance = Activator.CreateInstance(type.MakeGenericType(recordType))!;
                var config = instance.GetType().GetProperty("Config")!.GetValue(instance);
                Assert.NotNull(config);
            }
        }
        Assert.Equal(names.Count, names.Distinct().Count());

        string[] expected =
        [
            "Cast$Key", "Cast$Value", "DropHeaders", "ExtractField$Key", "ExtractField$Value", "Filter", "Flatten$Key",
            "Flatten$Value", "HeaderFrom$Key", "HeaderFrom$Value", "HoistField$Key", "HoistField$Value", "InsertField$Key",
            "InsertField$Value", "InsertHeader", "MaskField$Key", "MaskField$Value", "RegexRouter", "ReplaceField$Key",
            "ReplaceField$Value", "SetSchemaMetadata$Key", "SetSchemaMetadata$Value", "TimestampConverter$Key",
            "TimestampConverter$Value", "TimestampRouter", "ValueToKey",
            "predicates.HasHeaderKey", "predicates.RecordIsTombstone", "predicates.TopicNameMatches",
        ];
        Assert.Equal(expected.Select(n => "org.apache.kafka.connect.transforms." + n).Append("io.debezium.transforms.ExtractNewRecordState").Order(),
            names.Order());
    }

    [Fact]
    public void ClosedTransformKeepsTheConcreteRecordType()
    {
        var cast = (ITransformation<SinkRecord>)Activator.CreateInstance(typeof(Cast<>.Value).MakeGenericType(typeof(SinkRecord)))!;
        cast.Configure(new Dictionary<string, string?> { ["spec"] = "string" });
        var record = new SinkRecord("orig", 4, null, null, null, 5, 77L);
        var result = cast.Apply(record)!;
        Assert.Equal("5", result.Value);
        Assert.Equal(77L, result.KafkaOffset);
        Assert.Equal("orig", result.OriginalTopic);
        Assert.Equal(4, result.OriginalKafkaPartition);
    }

    [Fact]
    public void ConvertersCarryKafkaNames()
    {
        var converters = PluginsAssembly.GetTypes()
            .Where(t => !t.IsAbstract && (typeof(IConverter).IsAssignableFrom(t) || typeof(IHeaderConverter).IsAssignableFrom(t)))
            .Select(t => t.GetCustomAttribute<PluginNameAttribute>()?.ClassName)
            .ToList();
        Assert.Contains("org.apache.kafka.connect.storage.SimpleHeaderConverter", converters);
        foreach (var name in new[] { "Integer", "Long", "Float", "Double", "Short", "Boolean" })
            Assert.Contains($"org.apache.kafka.connect.converters.{name}Converter", converters);
    }
}
