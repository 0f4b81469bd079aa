using System.Text;
using Confluent.Kafka;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>FileStreamSink writes each value as Kafka's FileStreamSinkTask prints it (Java's toString), so a map,
/// a list or a boolean read by JsonConverter without schemas lands in the file as Kafka would write it.</summary>
public sealed class FileStreamSinkTextTests(SiloWithBroker fixture) : IClassFixture<SiloWithBroker>
{
    [Fact]
    public async Task Schemaless_json_values_are_written_as_Kafka_writes_them()
    {
        var topic = SiloWithBroker.Unique("text-in");
        var name = SiloWithBroker.Unique("text-sink");
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        (string Json, string Line)[] cases =
        [
            ("{\"i\":1,\"tag\":\"good\"}", "{i=1, tag=good}"),
            ("[\"p\",\"q\"]", "[p, q]"),
            ("true", "true"),
            ("1e10", "1.0E10"),
            ("2.5", "2.5"),
            ("\"text\"", "text"),
            ("null", "null"),
            ("{\"nested\":{\"l\":[1,false,null]}}", "{nested={l=[1, false, null]}}"),
        ];
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic,
            cases.Select(c => new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes(c.Json) }));

        await fixture.Silo.Client.CreateConnectorAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["file"] = file,
            ["topics"] = topic,
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "false",
        });

        await Eventually.Until(() => Task.FromResult(LineFiles.ReadCompleteLines(file)), lines => lines.Count >= cases.Length,
            TimeSpan.FromSeconds(30), lines => $"{lines?.Count} lines in the sink file\n{fixture.Silo.Log}");
        Assert.Equal(cases.Select(c => c.Line), LineFiles.ReadCompleteLines(file));
    }
}
