namespace OrleansConnect.Silo.GrainStorage;

/// <summary>The storage could not be prepared. The message is meant to be printed as one line: it names
/// what was tried (host and port, or file path; never a password) and what went wrong.</summary>
public sealed class StorageSetupException : Exception
{
    public StorageSetupException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The storage setup failure somewhere in <paramref name="error"/>'s chain (host start-up wraps
    /// exceptions from lifecycle participants in some paths), or null.</summary>
    public static StorageSetupException? Find(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is StorageSetupException found) return found;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find(inner) is { } nested) return nested;
                }
            }
        }
        return null;
    }
}
