namespace OrleansConnect.Silo.Hosting;

/// <summary>One silo per data directory: a second silo on the same <c>data.dir</c> would run every task a second time
/// over the same SQLite state and embedded-broker snapshot. The lock is an exclusive advisory lock on
/// <c>&lt;data.dir&gt;/silo.lock</c>, held for the life of the process (the kernel releases it however the process
/// ends); the holder's pid is written beside it so the refusal can name it.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    private const string LockFile = "silo.lock";
    private const string PidFile = "silo.pid";
    private readonly FileStream _lock;

    private DataDirectoryLock(FileStream held) => _lock = held;

    /// <summary>Takes the lock, or throws <see cref="DataDirectoryException"/> with one line naming the directory and
    /// the process that holds it (or why the directory cannot be used).</summary>
    public static DataDirectoryLock Acquire(string dataDir)
    {
        try
        {
            Directory.CreateDirectory(dataDir);
            var held = new FileStream(Path.Combine(dataDir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(Path.Combine(dataDir, PidFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new DataDirectoryLock(held);
        }
        catch (IOException e) when (e.HResult is SharingViolation or WouldBlock)
        {
            throw new DataDirectoryException($"data.dir {dataDir} is in use by process {HolderPid(dataDir)}; stop that silo, or give this one its own data.dir");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new DataDirectoryException($"data.dir {dataDir} is not writable: {e.Message}");
        }
    }

    // What .NET reports when another process holds the exclusive lock: Windows' sharing violation, or on Linux the
    // errno of a refused flock (EWOULDBLOCK).
    private const int SharingViolation = unchecked((int)0x80070020);
    private const int WouldBlock = 11;

    private static string HolderPid(string dataDir)
    {
        try { return File.ReadAllText(Path.Combine(dataDir, PidFile)).Trim(); }
        catch (IOException) { return "(unknown)"; }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>The data directory cannot be used; the message is one line for the operator.</summary>
public sealed class DataDirectoryException(string message) : Exception(message);
