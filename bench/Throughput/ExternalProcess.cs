using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrleansConnect.Throughput;

/// <summary>Starts a program with its stdout and stderr going straight to files (through <c>sh -c exec</c>),
/// so no byte of its output passes through this process: on 2 cores, piping would cost the tool being measured.</summary>
public static partial class ExternalProcess
{
    public static Process Start(string program, IEnumerable<string> args, string workingDirectory, string stdoutPath, string stderrPath,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Bench.SiloBench.StartLogged(program, args, workingDirectory, stdoutPath, environment, stderrPath);

    /// <summary>Runs to completion; a non-zero exit fails the benchmark with the program's stderr.</summary>
    public static async Task<TimeSpan> RunTimedAsync(string program, IReadOnlyList<string> args, string workingDirectory, string stdoutPath, string stderrPath,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var process = Start(program, args, workingDirectory, stdoutPath, stderrPath);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s.");
        }
        clock.Stop();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{Tail(stderrPath)}");
        return clock.Elapsed;
    }

    /// <summary>SIGTERM: lets the silo stop its tasks cleanly, as Ctrl-C or a container runtime would.</summary>
    public static void Terminate(Process process)
    {
        if (!process.HasExited) _ = kill(process.Id, 15);
    }

    public static string Tail(string path, int lines = 40)
    {
        if (!File.Exists(path)) return "(no output)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
