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

    /// <summary>SIGTERM: the silo's clean stop.</summary>
    public static void Terminate(int pid) => _ = kill(pid, 15);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
