using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansConnect.Grains.Kafka;

/// <summary>librdkafka's mock cluster: a real Kafka-protocol broker living in this process, listening on
/// random loopback ports. For development and tests only: it keeps everything in memory, at most
/// 5 MiB (or 100 000 batches) per partition (older batches are dropped), does not compact, and cannot
/// create topics through the admin API (use <see cref="CreateTopic"/>). A topic it creates by itself (a producer's
/// metadata request) gets 4 partitions, which nothing can change, so the runtime creates the topics connectors
/// reach with <see cref="DefaultPartitions"/> first, as a Kafka broker's num.partitions would.</summary>
public sealed partial class EmbeddedKafkaBroker : IDisposable
{
    private const int ProducerType = 0;
    private IntPtr _handle;
    private IntPtr _cluster;
    private readonly object _gate = new();

    public string BootstrapServers { get; }
    public int BrokerCount { get; }

    /// <summary>Partitions of a topic the runtime creates without topic.creation.* (embedded.broker.num.partitions).</summary>
    public int DefaultPartitions { get; }

    private EmbeddedKafkaBroker(IntPtr handle, IntPtr cluster, string bootstrap, int brokerCount, int defaultPartitions)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstrap;
        BrokerCount = brokerCount;
        DefaultPartitions = defaultPartitions;
    }

    public static EmbeddedKafkaBroker Start(int brokerCount = 3, int defaultPartitions = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPartitions, 1);
        KafkaNative.EnsureLoaded();
        var conf = rd_kafka_conf_new();
        var errbuf = new byte[512];
        // The handle only hosts the mock brokers; its own "no bootstrap.servers" warning is noise.
        _ = rd_kafka_conf_set(conf, "log_level", "3", errbuf, (UIntPtr)errbuf.Length);
        // The handle owns the mock cluster's threads; it is never used as a producer.
        var handle = rd_kafka_new(ProducerType, conf, errbuf, (UIntPtr)errbuf.Length);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException("Could not create the embedded Kafka broker's handle: " + Encoding.UTF8.GetString(errbuf).TrimEnd('\0'));
        var cluster = WithSignalsBlocked(() => rd_kafka_mock_cluster_new(handle, brokerCount));
        if (cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(handle);
            throw new InvalidOperationException("Could not start the embedded Kafka broker (rd_kafka_mock_cluster_new failed).");
        }
        // Kafka's group.initial.rebalance.delay.ms (3 s) holds a new group's first assignment back in case more members
        // come. Here a sink's tasks join within milliseconds of each other, and a later one costs one quick rebalance:
        // assigning at once starts sinks 3 s sooner.
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        // KIP-848 groups (the sinks' default here) take these from the broker: a member that died is dropped after 10 s,
        // as the classic sessions the runtime sets elsewhere, and assignments move at each 1 s heartbeat.
        rd_kafka_mock_set_group_consumer_session_timeout_ms(cluster, 10_000);
        rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(cluster, 1_000);
        var bootstrap = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The embedded Kafka broker reported no bootstrap servers.");
        return new EmbeddedKafkaBroker(handle, cluster, bootstrap, brokerCount, defaultPartitions);
    }

    /// <summary>Creates a topic (idempotent for an existing topic with any partition count). A partition count or
    /// replication factor of -1 (Kafka's "broker default") means <see cref="DefaultPartitions"/> and 1.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        if (partitions <= 0) partitions = DefaultPartitions;
        if (replicationFactor <= 0) replicationFactor = 1;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            var err = rd_kafka_mock_topic_create(_cluster, topic, partitions, Math.Min(replicationFactor, BrokerCount));
            // 36 = TOPIC_ALREADY_EXISTS: fine, creation is idempotent for callers.
            if (err != 0 && err != 36)
                throw new InvalidOperationException($"Could not create topic '{topic}' on the embedded broker (error {err}).");
        }
    }

    /// <summary>Creates topics (as <see cref="CreateTopic"/> each) on a broker that nobody is connected to yet, as at a
    /// restore. The mock cluster's thread sleeps in poll() until a socket event, a timer or a wake-up of its request queue;
    /// on some starts that wake-up is lost and each request waits for the next timer instead (measured: 100 topics took
    /// 3-16 s in about half of the starts, 20 ms in the others). Connections to its listener wake it too, so a helper
    /// thread keeps connecting while the topics are created (100 topics: 70-150 ms in every start).</summary>
    public void CreateTopics(IReadOnlyCollection<(string Topic, int Partitions, int ReplicationFactor)> topics)
    {
        if (topics.Count == 0) return;
        var endpoint = BootstrapServers.Split(',')[0];
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var done = 0;
        var waker = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try { socket.Connect(IPAddress.Loopback, port); }
                catch (SocketException) { }
                Thread.Sleep(2);
            }
        }) { IsBackground = true, Name = "embedded-broker-waker" };
        waker.Start();
        try
        {
            foreach (var (topic, partitions, replicationFactor) in topics) CreateTopic(topic, partitions, replicationFactor);
        }
        finally
        {
            Volatile.Write(ref done, 1);
            waker.Join();
        }
    }

    /// <summary>Takes a broker down or up (fault injection in tests).</summary>
    public void SetBrokerUp(int brokerId, bool up)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            _ = up ? rd_kafka_mock_broker_set_up(_cluster, brokerId) : rd_kafka_mock_broker_set_down(_cluster, brokerId);
        }
    }

    /// <summary>Delays every broker's responses by <paramref name="roundTrip"/> (fault injection in tests: records
    /// stay in flight that long).</summary>
    public void SetRoundTripTime(TimeSpan roundTrip)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            for (var id = 1; id <= BrokerCount; id++) _ = rd_kafka_mock_broker_set_rtt(_cluster, id, (int)roundTrip.TotalMilliseconds);
        }
    }

    /// <summary>Answers the next requests of one Kafka API (0 = Produce) with these errors, one request each, in
    /// order (fault injection in tests).</summary>
    public void FailNextRequests(short apiKey, params Confluent.Kafka.ErrorCode[] errors)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (UIntPtr)errors.Length, errors.Select(e => (int)e).ToArray());
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero) rd_kafka_mock_cluster_destroy(_cluster);
            if (_handle != IntPtr.Zero) rd_kafka_destroy(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    /// <summary>Runs <paramref name="create"/> with every signal blocked on this thread, so that the threads it starts
    /// inherit that mask. The mock cluster's thread treats a poll() interrupted by a signal as fatal ("Mock cluster failed
    /// to poll ... Interrupted system call") and closes every listener, and .NET handles SIGCONT (and SIGCHLD, SIGWINCH,
    /// ...) in-process: a Ctrl-Z and fg of the embedded default, or a paused VM, killed its broker for good. Blocked
    /// signals go to the other threads; SIGCONT still resumes the process (the kernel does that whatever the mask).</summary>
    private static T WithSignalsBlocked<T>(Func<T> create)
    {
        if (!OperatingSystem.IsLinux()) return create();
        var all = new byte[SigSetBytes];
        var previous = new byte[SigSetBytes];
        if (sigfillset(all) != 0 || pthread_sigmask(SigSetMask, all, previous) != 0) return create();
        try
        {
            return create();
        }
        finally
        {
            _ = pthread_sigmask(SigSetMask, previous, null);
        }
    }

    // glibc's sigset_t: 1024 bits.
    private const int SigSetBytes = 128;
    private const int SigSetMask = 2;
    [LibraryImport("libc", SetLastError = true)] private static partial int sigfillset([Out] byte[] set);
    [LibraryImport("libc", SetLastError = true)] private static partial int pthread_sigmask(int how, byte[]? set, [Out] byte[]? oldset);

    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_conf_new();
    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, [Out] byte[] errstr, UIntPtr errstrSize);
    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_new(int type, IntPtr conf, [Out] byte[] errstr, UIntPtr errstrSize);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_destroy(IntPtr rk);
    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);
    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_mock_set_group_consumer_session_timeout_ms(IntPtr cluster, int timeoutMs);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(IntPtr cluster, int intervalMs);
    [LibraryImport(KafkaNative.LibraryName)] private static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);
    [LibraryImport(KafkaNative.LibraryName)] private static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
    [LibraryImport(KafkaNative.LibraryName)] private static partial int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);
    [LibraryImport(KafkaNative.LibraryName)]
    private static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);
}
