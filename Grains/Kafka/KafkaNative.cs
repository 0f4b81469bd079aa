using System.Reflection;
using System.Runtime.InteropServices;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Binds this assembly's own librdkafka imports (the mock cluster, the cluster id) to the very file
/// Confluent.Kafka loaded. librdkafka.redist ships several builds (on Debian 12 the default one misses
/// libsasl2 and Confluent falls back to another); a second copy would be a second librdkafka with its own
/// globals, and a mock cluster made by one copy cannot be handed to clients of the other.</summary>
public static class KafkaNative
{
    /// <summary>The name our imports use; the resolver maps it to the file the client loaded.</summary>
    public const string LibraryName = "librdkafka";
    private static int _installed;
    private static readonly Lazy<IntPtr> Loaded = new(LoadClientLibrary);

    /// <summary>Installs the resolver; call before the first of this assembly's librdkafka imports.</summary>
    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == LibraryName ? Loaded.Value : IntPtr.Zero;

    private static IntPtr LoadClientLibrary()
    {
        // Asking for the version makes Confluent.Kafka pick and load its native library.
        _ = Confluent.Kafka.Library.Version;
        var loaded = FindLoadedPath()
            ?? throw new DllNotFoundException("Confluent.Kafka loaded no librdkafka file that this process can find.");
        // dlopen of a loaded file returns that file's handle: no second copy.
        return NativeLibrary.Load(loaded);
    }

    /// <summary>Linux lists a process's mapped files in /proc/self/maps; the librdkafka among them is the one in use.</summary>
    private static string? FindLoadedPath()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/');
            if (slash < 0) continue;
            var file = line[slash..];
            if (Path.GetFileName(file).Contains("librdkafka", StringComparison.Ordinal)) return file;
        }
        return null;
    }
}
