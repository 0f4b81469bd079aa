using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace OrleansConnect.Bench;

/// <summary>What the benches that drive a silo process over REST share: polling with a deadline, the tasks' states,
/// percentiles, the silo's log, free ports and signals. Compiled into each bench project (bench/Common/*.cs).</summary>
public static partial class SiloBench
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what, CancellationToken cancellationToken,
        TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what()}.");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>GET /connectors?expand=status: every task's state in one call. Throws on a FAILED one.</summary>
    public static async Task<int> CountRunningTasksAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var map = JsonNode.Parse(await client.GetStringAsync("connectors?expand=status", cancellationToken))!.AsObject();
        var running = 0;
        foreach (var (name, entry) in map)
        {
            foreach (var task in entry?["status"]?["tasks"]?.AsArray() ?? [])
            {
                var state = (string?)task?["state"];
                if (state == "FAILED") throw new InvalidOperationException($"{name} task FAILED: {(string?)task?["trace"]}");
                if (state == "RUNNING") running++;
            }
        }
        return running;
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    /// <summary>The median (of two middle values, their mean): one sample taken around a GC does not move it.</summary>
    public static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The silo's log so far (the silo still writes it).</summary>
    public static string ReadLog(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public static string Tail(string path, int lines = 40)
    {
        var all = ReadLog(path).Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Starts a program with its stdout and stderr going straight to files through <c>sh -c exec</c> (one log file
    /// for both unless <paramref name="stderrPath"/> is given): the pid is the program's own (for kill -9 and /proc, not a
    /// wrapper's), and no byte of its output passes through this process (on 2 cores, piping would cost what is measured).</summary>
    public static Process StartLogged(string program, IEnumerable<string> args, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string>? environment = null, string? stderrPath = null)
    {
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(stderrPath is null ? "exec \"$0\" \"$@\" >\"$BENCH_LOG\" 2>&1" : "exec \"$0\" \"$@\" >\"$BENCH_LOG\" 2>\"$BENCH_STDERR\"");
        info.ArgumentList.Add(program);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["BENCH_LOG"] = logPath;
        if (stderrPath is not null) info.Environment["BENCH_STDERR"] = stderrPath;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
    }

    /// <summary>SIGTERM: the silo's clean stop.</summary>
    public static void Terminate(int pid) => _ = kill(pid, 15);

    /// <summary>SIGSTOP: the process is frozen (as a VM paused or a process stuck in swap) until <see cref="Thaw"/>.</summary>
    public static void Freeze(int pid) => Signal(pid, 19);

    /// <summary>SIGCONT: a frozen process runs again.</summary>
    public static void Thaw(int pid) => Signal(pid, 18);

    private static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
