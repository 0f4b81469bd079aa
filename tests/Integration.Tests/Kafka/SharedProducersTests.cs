using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Kafka;

/// <summary>The silo's producer pool against a real (embedded) broker: which leases share a producer, when it
/// closes, what a fatal error does. Each test has its own broker: injected broker errors must hit only its own
/// producers.</summary>
public sealed class SharedProducersTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly ConnectorTaskId TaskA = new("a", 0);
    private static readonly ConnectorTaskId TaskB = new("b", 0);

    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start(1);
    private readonly SharedProducers _pool = new(NullLogger<SharedProducers>.Instance);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        _broker.Dispose();
    }

    private Dictionary<string, string> Config(string clientId, params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = _broker.BootstrapServers,
            ["enable.idempotence"] = "true",
            ["acks"] = "all",
            ["linger.ms"] = "5",
            ["client.id"] = clientId,
            ["log_level"] = "3",
        };
        foreach (var (key, value) in extra) config[key] = value;
        return config;
    }

    private string Topic(string name)
    {
        _broker.CreateTopic(name, 1);
        return name;
    }

    private static Task<DeliveryReport<byte[]?, byte[]?>> SendAsync(ProducerLease lease, string topic, string value)
    {
        var delivered = new TaskCompletionSource<DeliveryReport<byte[]?, byte[]?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lease.Produce(new TopicPartition(topic, 0), new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes(value) },
            report => delivered.TrySetResult(report));
        return delivered.Task.WaitAsync(Timeout);
    }

    /// <summary>Throws what refused the record, synchronously or in its delivery report.</summary>
    private static async Task SendOrThrowAsync(ProducerLease lease, string topic, string value)
    {
        var report = await SendAsync(lease, topic, value);
        if (report.Error.IsError) throw new KafkaException(report.Error);
    }

    private async Task<List<string?>> ReadAsync(string topic, int count) =>
        (await KafkaTopics.ReadUntilAsync(_broker.BootstrapServers, topic, 1, read => read.Count >= count, Timeout))
            .Select(r => KafkaTopics.Text(r.Message.Value)).ToList();

    [Fact]
    public async Task Leases_of_one_config_share_a_producer_whatever_their_client_id_and_another_config_gets_its_own()
    {
        var topic = Topic("shared");
        await using var a = _pool.Lease(Config("connector-producer-a-0"), TaskA);
        await using var b = _pool.Lease(Config("connector-producer-b-0"), TaskB);
        await using var other = _pool.Lease(Config("connector-producer-b-0", ("linger.ms", "50")), TaskB);

        Assert.Equal("connect-producer-1", a.ClientId);
        Assert.Equal(a.ClientId, b.ClientId);
        Assert.Equal("connect-producer-2", other.ClientId);
        Assert.Equal(2, _pool.OpenCount);

        // Each report reaches the callback its record was sent with.
        var fromA = await SendAsync(a, topic, "from a");
        var fromB = await SendAsync(b, topic, "from b");
        var fromOther = await SendAsync(other, topic, "from other");
        Assert.Equal(["from a", "from b", "from other"],
            new[] { fromA, fromB, fromOther }.Select(r => KafkaTopics.Text(r.Message.Value)));
        Assert.All(new[] { fromA, fromB, fromOther }, r => Assert.False(r.Error.IsError, r.Error.Reason));
        Assert.Equal(["from a", "from b", "from other"], await ReadAsync(topic, 3));
    }

    [Fact]
    public async Task A_lease_waits_for_its_own_records_only()
    {
        var topic = Topic("own-records");
        await using var a = _pool.Lease(Config("a"), TaskA);
        await using var b = _pool.Lease(Config("b"), TaskB);
        Assert.Equal(a.ClientId, b.ClientId);
        Assert.False((await SendAsync(b, topic, "b0")).Error.IsError);

        // With the broker down, a's records stay in flight in the shared producer.
        _broker.SetBrokerUp(1, false);
        var acknowledged = 0;
        for (var i = 0; i < 1_000; i++)
            a.Produce(topic, new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes("a" + i) }, report =>
            {
                if (!report.Error.IsError) Interlocked.Increment(ref acknowledged);
            });
        Assert.Equal(1_000, a.InFlight);
        Assert.False(await a.WhenDeliveredAsync(TimeSpan.FromMilliseconds(200)));

        // b's records are all acknowledged: it does not wait for a's (a producer Flush would).
        Assert.Equal(0, b.InFlight);
        Assert.True(await b.WhenDeliveredAsync(TimeSpan.Zero));

        // a's wait ends once its callbacks ran: every record it sent is acknowledged by then.
        _broker.SetBrokerUp(1, true);
        Assert.True(await a.WhenDeliveredAsync(Timeout));
        Assert.Equal(0, a.InFlight);
        Assert.Equal(1_000, Volatile.Read(ref acknowledged));
        Assert.Equal(1_001, (await ReadAsync(topic, 1_001)).Count);
    }

    [Fact]
    public async Task The_last_returned_lease_closes_the_producer_and_the_next_lease_opens_a_new_one()
    {
        var topic = Topic("released");
        var a = _pool.Lease(Config("a"), TaskA);
        var b = _pool.Lease(Config("b"), TaskB);
        Assert.Equal(1, _pool.OpenCount);

        await a.DisposeAsync();
        await a.DisposeAsync(); // returning twice counts once
        Assert.Equal(1, _pool.OpenCount);
        // The producer stays open for b; a returned lease sends no more.
        Assert.False((await SendAsync(b, topic, "b after a left")).Error.IsError);
        Assert.Throws<ObjectDisposedException>(() => a.Produce(topic, new Message<byte[]?, byte[]?> { Value = [1] }, _ => { }));

        await b.DisposeAsync();
        Assert.Equal(0, _pool.OpenCount);

        await using var next = _pool.Lease(Config("a"), TaskA);
        Assert.Equal("connect-producer-2", next.ClientId);
        Assert.Equal(1, _pool.OpenCount);
        Assert.False((await SendAsync(next, topic, "after reopening")).Error.IsError);
        Assert.Equal(["b after a left", "after reopening"], await ReadAsync(topic, 2));
    }

    [Fact]
    public async Task A_fatal_producer_error_reaches_every_holder_and_the_next_lease_gets_a_fresh_producer()
    {
        var topic = Topic("fatal");
        var a = _pool.Lease(Config("a"), TaskA);
        var b = _pool.Lease(Config("b"), TaskB);
        Assert.False((await SendAsync(a, topic, "before")).Error.IsError);
        Assert.Null(a.FatalError);

        // The broker answers the next produce with a sequence error the idempotent producer cannot recover from.
        _broker.FailNextRequests(0, ErrorCode.OutOfOrderSequenceNumber);
        var failed = await SendAsync(a, topic, "refused");
        Assert.True(failed.Error.IsError);
        await Eventually.Until(() => Task.FromResult(a.FatalError is not null), Timeout, "the fatal error reaches the lease");
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, a.FatalError!.Code);
        // b shares the broken producer: it sees the error too, and cannot send.
        Assert.Equal(a.FatalError, b.FatalError);
        await Assert.ThrowsAnyAsync<KafkaException>(() => SendOrThrowAsync(b, topic, "refused too"));

        // A new lease of the same config does not get the broken producer.
        await using var fresh = _pool.Lease(Config("c"), TaskA);
        Assert.NotEqual(a.ClientId, fresh.ClientId);
        Assert.Null(fresh.FatalError);
        Assert.Equal(2, _pool.OpenCount);
        Assert.False((await SendAsync(fresh, topic, "after")).Error.IsError);

        // The broken one closes when its holders have returned their leases.
        await a.DisposeAsync();
        await b.DisposeAsync();
        Assert.Equal(1, _pool.OpenCount);
        Assert.Equal(["before", "after"], await ReadAsync(topic, 2));
    }
}
