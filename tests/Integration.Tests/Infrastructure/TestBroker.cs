using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>The embedded Kafka-protocol broker, started by the test process (not inside a silo under test) so
/// that killing a silo keeps the Kafka data, as with a real cluster.</summary>
public sealed class TestBroker : IDisposable
{
    public EmbeddedKafkaBroker Broker { get; } = EmbeddedKafkaBroker.Start(3);
    public string BootstrapServers => Broker.BootstrapServers;
    public void Dispose() => Broker.Dispose();
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<TestBroker>
{
    public const string Name = "broker";
}
