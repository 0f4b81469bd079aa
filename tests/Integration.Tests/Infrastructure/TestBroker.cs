using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>The embedded Kafka-protocol broker, started by the test process (not inside a silo under test) so
/// that killing a silo keeps the Kafka data, as with a real cluster.</summary>
public sealed class TestBroker : IDisposable
{
    public EmbeddedKafkaBroker Broker { get; } = Start();

    /// <summary>The embedded broker cannot create topics through the admin API: create the offsets topic the
    /// silos use up front, as an administrator of a real cluster may.</summary>
    private static EmbeddedKafkaBroker Start()
    {
        var broker = EmbeddedKafkaBroker.Start(3);
        broker.CreateTopic("connect-offsets", 25, 3);
        return broker;
    }
    public string BootstrapServers => Broker.BootstrapServers;
    public void Dispose() => Broker.Dispose();
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<TestBroker>
{
    public const string Name = "broker";
}
