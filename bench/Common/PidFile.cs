namespace OrleansConnect.Bench;

/// <summary>Notes each process a run starts (pid, start time, label, and a directory to remove) in the file its shell
/// wrapper passes (bench/run-scale.sh, bench/run-faults.sh), so the script can kill what is left if the bench itself is
/// killed; the start time tells a reused pid apart.</summary>
public sealed class PidFile(string? path)
{
    private readonly object _gate = new();

    public void Record(int? pid, string label, string? directory = null)
    {
        if (path is null || pid is not { } p || ProcSample.StartTime(p) is not { } start) return;
        lock (_gate) File.AppendAllText(path, $"{p} {start} {label} {directory ?? "-"}\n");
    }

    /// <summary>A mount point the script unmounts if the bench could not (no process: pid and start time 0).</summary>
    public void RecordMount(string directory)
    {
        if (path is null) return;
        lock (_gate) File.AppendAllText(path, $"0 0 mount {directory}\n");
    }
}
