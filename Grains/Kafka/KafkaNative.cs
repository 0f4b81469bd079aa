using System.Runtime.InteropServices;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Points Confluent.Kafka's native import at Debian's librdkafka.so.1. Confluent's own
/// Library.Load looks for an unversioned libdl that Debian 12 lacks, and librdkafka.redist is not
/// obtainable, so every process loads the system library through this resolver before any client.</summary>
public static class KafkaNative
{
    public const string LibraryName = "librdkafka.so.1";
    private static int _installed;

    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, Resolve);
        NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? path) =>
        name.Contains("rdkafka", StringComparison.Ordinal) ? NativeLibrary.Load(LibraryName) : IntPtr.Zero;
}
