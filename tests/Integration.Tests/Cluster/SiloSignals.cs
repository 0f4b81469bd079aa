using System.Runtime.InteropServices;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Cluster;

/// <summary>SIGSTOP / SIGCONT for a silo process, found through the REST port in its environment.</summary>
public static partial class SiloSignals
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    public static void Pause(SiloProcess silo) => Send(silo, SigStop);

    public static void Resume(SiloProcess silo) => Send(silo, SigCont);

    private static void Send(SiloProcess silo, int signal)
    {
        var pid = FindPid(silo) ?? throw new InvalidOperationException($"No process runs the silo {silo.WorkerId}");
        if (kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private static int? FindPid(SiloProcess silo)
    {
        var marker = $"CONNECT_REST_PORT={silo.Port}\0";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("OrleansConnect.Silo.dll", StringComparison.Ordinal)) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Contains(marker, StringComparison.Ordinal)) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
