using System.Runtime.InteropServices;
using System.Text;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Reads the Kafka cluster id (GET / answers it as kafka_cluster_id) from metadata, with a short-lived
/// librdkafka handle: the embedded broker does not answer the admin DescribeCluster call.</summary>
public static partial class KafkaClusterId
{
    /// <param name="clientConfigs">The worker's admin client settings (security.protocol, SASL, TLS), so that a secured
    /// cluster answers too.</param>
    public static Task<string?> FetchAsync(string bootstrapServers, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? clientConfigs = null) =>
        KafkaBlocking.Run(() => Fetch(bootstrapServers, timeout, clientConfigs), cancellationToken);

    private static string? Fetch(string bootstrapServers, TimeSpan timeout, IReadOnlyDictionary<string, string?>? clientConfigs)
    {
        KafkaNative.EnsureLoaded();
        var conf = rd_kafka_conf_new();
        var err = new byte[512];
        // Best effort: a setting the C API refuses (Confluent.Kafka's own dotnet.* keys) is left out; the id is cosmetic.
        foreach (var (name, value) in KafkaClients.Strip(clientConfigs ?? new Dictionary<string, string?>()))
            rd_kafka_conf_set(conf, name, value, err, (UIntPtr)err.Length);
        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrapServers, err, (UIntPtr)err.Length) != 0)
            throw new InvalidOperationException(Encoding.UTF8.GetString(err).TrimEnd('\0'));
        var handle = rd_kafka_new(0, conf, err, (UIntPtr)err.Length);
        if (handle == IntPtr.Zero) return null;
        try
        {
            var id = rd_kafka_clusterid(handle, (int)timeout.TotalMilliseconds);
            if (id == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(id); }
            finally { rd_kafka_mem_free(handle, id); }
        }
        finally
        {
            rd_kafka_destroy(handle);
        }
    }

    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_conf_new();
    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, [Out] byte[] errstr, UIntPtr errstrSize);
    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_new(int type, IntPtr conf, [Out] byte[] errstr, UIntPtr errstrSize);
    [LibraryImport(KafkaNative.LibraryName)] private static partial IntPtr rd_kafka_clusterid(IntPtr rk, int timeoutMs);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_mem_free(IntPtr rk, IntPtr ptr);
    [LibraryImport(KafkaNative.LibraryName)] private static partial void rd_kafka_destroy(IntPtr rk);
}
