using System.Net;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.Kafka.SyncOverAsync;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using OrleansConnect.Tests.Infrastructure;
using RegistrySchema = Confluent.SchemaRegistry.Schema;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>The silo's schema registry driven by Confluent's own .NET client and Avro serdes, which nobody here wrote:
/// registration, lookups, compatibility refusals with Confluent's codes, and records produced with AvroSerializer and
/// read back with AvroDeserializer through the broker.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConfluentClientTests(TestBroker broker, RegistrySilo silo) : IClassFixture<RegistrySilo>, IAsyncLifetime
{
    private static string User(string name, params string[] extraFields) =>
        $$"""{"type":"record","name":"{{name}}","namespace":"test","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}{{string.Concat(extraFields.Select(f => "," + f))}}]}""";

    private static string Subject() => "s-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => silo.StartAsync(broker);
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Registers_looks_up_and_reads_back_schemas()
    {
        using var client = silo.Client();
        var subject = Subject();
        var id = await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U1"), SchemaType.Avro));
        Assert.True(id > 0);
        // The same schema again, spelt differently (whitespace): the same id and no new version.
        Assert.Equal(id, await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U1").Replace(",", ", "), SchemaType.Avro)));
        Assert.Equal([1], await client.GetSubjectVersionsAsync(subject));
        Assert.Contains(subject, await client.GetAllSubjectsAsync());

        var byId = await client.GetSchemaAsync(id);
        Assert.Equal(SchemaType.Avro, byId.SchemaType);
        Assert.Equal(Avro.Schema.Parse(User("U1")), Avro.Schema.Parse(byId.SchemaString));
        var latest = await client.GetLatestSchemaAsync(subject);
        Assert.Equal((subject, 1, id), (latest.Subject, latest.Version, latest.Id));
        var looked = await client.LookupSchemaAsync(subject, new RegistrySchema(User("U1"), SchemaType.Avro), ignoreDeletedSchemas: true, normalize: false);
        Assert.Equal((1, id), (looked.Version, looked.Id));
        Assert.Equal(id, await client.GetSchemaIdAsync(subject, new RegistrySchema(User("U1"), SchemaType.Avro), normalize: false));

        // Another subject with the same schema shares its id; a new schema gets a new one.
        var other = Subject();
        Assert.Equal(id, await client.RegisterSchemaAsync(other, new RegistrySchema(User("U1"), SchemaType.Avro)));
        var evolved = await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U1", """{"name":"email","type":["null","string"],"default":null}"""), SchemaType.Avro));
        Assert.NotEqual(id, evolved);
        Assert.Equal([1, 2], await client.GetSubjectVersionsAsync(subject));
        Assert.Equal(2, (await client.GetRegisteredSchemaAsync(subject, 2, ignoreDeletedSchemas: true)).Version);
    }

    [Fact]
    public async Task Incompatible_and_invalid_schemas_are_refused_with_Confluents_codes()
    {
        using var client = silo.Client();
        var subject = Subject();
        await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U2"), SchemaType.Avro));

        // BACKWARD (the default): a new field without a default cannot read old data.
        var withoutDefault = new RegistrySchema(User("U2", """{"name":"email","type":"string"}"""), SchemaType.Avro);
        Assert.False(await client.IsCompatibleAsync(subject, withoutDefault));
        var refused = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(subject, withoutDefault));
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(40901, refused.ErrorCode);
        Assert.Contains("email", refused.Message);
        Assert.True(await client.IsCompatibleAsync(subject, new RegistrySchema(User("U2", """{"name":"email","type":"string","default":""}"""), SchemaType.Avro)));

        var invalid = await Assert.ThrowsAsync<SchemaRegistryException>(() =>
            client.RegisterSchemaAsync(subject, new RegistrySchema("""{"type":"record","name":"X","fields":[{"name":"a","type":"no-such-type"}]}""", SchemaType.Avro)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, 42201), (invalid.Status, invalid.ErrorCode));

        var missing = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetLatestSchemaAsync(Subject()));
        Assert.Equal((HttpStatusCode.NotFound, 40401), (missing.Status, missing.ErrorCode));
        var noSchema = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetSchemaAsync(int.MaxValue));
        Assert.Equal((HttpStatusCode.NotFound, 40403), (noSchema.Status, noSchema.ErrorCode));
        var notInSubject = await Assert.ThrowsAsync<SchemaRegistryException>(() =>
            client.LookupSchemaAsync(subject, new RegistrySchema(User("Other"), SchemaType.Avro), true, false));
        Assert.Equal(40403, notInSubject.ErrorCode);
    }

    [Fact]
    public async Task Compatibility_levels_are_kept_per_subject_and_honoured()
    {
        using var client = silo.Client();
        var subject = Subject();
        await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U3"), SchemaType.Avro));
        // No level of its own yet: Confluent answers 40408 (the client does not ask for the global fallback).
        var unset = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetCompatibilityAsync(subject));
        Assert.Equal((HttpStatusCode.NotFound, 40408), (unset.Status, unset.ErrorCode));

        await client.UpdateCompatibilityAsync(Compatibility.Forward, subject);
        Assert.Equal(Compatibility.Forward, await client.GetCompatibilityAsync(subject));
        // FORWARD: old readers must read new data; dropping a field the old schema needs (no default) breaks them.
        var dropped = new RegistrySchema("""{"type":"record","name":"U3","namespace":"test","fields":[{"name":"name","type":"string"}]}""", SchemaType.Avro);
        Assert.Equal(40901, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(subject, dropped))).ErrorCode);
        // ...while a field without a default, refused under BACKWARD, is fine forward.
        await client.RegisterSchemaAsync(subject, new RegistrySchema(User("U3", """{"name":"email","type":"string"}"""), SchemaType.Avro));

        await client.UpdateCompatibilityAsync(Compatibility.None, subject);
        await client.RegisterSchemaAsync(subject, dropped);
        Assert.Equal([1, 2, 3], await client.GetSubjectVersionsAsync(subject));
        // Other subjects keep the global level.
        Assert.Equal(Compatibility.Backward, await client.GetCompatibilityAsync(null));
    }

    [Fact]
    public async Task AvroSerializer_writes_through_the_broker_and_AvroDeserializer_reads_it_back()
    {
        using var client = silo.Client();
        var topic = "avro-" + Guid.NewGuid().ToString("N")[..8];
        broker.Broker.CreateTopic(topic, 1, 1);
        var v1 = (RecordSchema)Avro.Schema.Parse(User("Person"));
        var v2 = (RecordSchema)Avro.Schema.Parse(User("Person", """{"name":"email","type":["null","string"],"default":null}"""));

        using (var producer = new ProducerBuilder<string, GenericRecord>(new ProducerConfig { BootstrapServers = broker.BootstrapServers })
                   .SetValueSerializer(new AvroSerializer<GenericRecord>(client)).Build())
        {
            var first = new GenericRecord(v1);
            first.Add("name", "Ada");
            first.Add("age", 36);
            await producer.ProduceAsync(topic, new Message<string, GenericRecord> { Key = "1", Value = first });
            // The serializer registers the evolved schema as version 2: backward compatible (the new field has a default).
            var second = new GenericRecord(v2);
            second.Add("name", "Grace");
            second.Add("age", 45);
            second.Add("email", "grace@example.com");
            await producer.ProduceAsync(topic, new Message<string, GenericRecord> { Key = "2", Value = second });
        }
        Assert.Equal([1, 2], await client.GetSubjectVersionsAsync(topic + "-value"));

        using var consumer = new ConsumerBuilder<string, GenericRecord>(new ConsumerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                GroupId = "avro-test",
                EnableAutoCommit = false,
            })
            .SetValueDeserializer(new AvroDeserializer<GenericRecord>(client).AsSyncOverAsync()).Build();
        using var raw = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "avro-raw" }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        raw.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var read = new List<GenericRecord>();
        var bytes = new List<byte[]>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((read.Count < 2 || bytes.Count < 2) && DateTime.UtcNow < deadline)
        {
            if (read.Count < 2 && consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r) read.Add(r.Message.Value);
            if (bytes.Count < 2 && raw.Consume(TimeSpan.FromMilliseconds(200)) is { } b) bytes.Add(b.Message.Value);
        }
        Assert.Equal(2, read.Count);
        Assert.Equal(("Ada", 36), ((string)read[0]["name"], (int)read[0]["age"]));
        Assert.Equal(("Grace", 45, "grace@example.com"), ((string)read[1]["name"], (int)read[1]["age"], (string)read[1]["email"]));

        // Confluent's wire format: magic byte 0, then the registry's id (big-endian), then Avro binary.
        var ids = new List<int>();
        foreach (var value in bytes)
        {
            Assert.Equal(0, value[0]);
            ids.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4)));
        }
        Assert.Equal((await client.GetRegisteredSchemaAsync(topic + "-value", 1, true)).Id, ids[0]);
        Assert.Equal((await client.GetRegisteredSchemaAsync(topic + "-value", 2, true)).Id, ids[1]);
    }
}
