namespace OrleansConnect.Silo.Hosting;

/// <summary>The silo cannot start for a reason the operator can fix; the message is the one line printed before exit
/// code 2.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The startup failure inside what the host threw (it may wrap a hosted service's exception).</summary>
    public static StartupException? Find(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is StartupException startup) return startup;
            if (e is AggregateException aggregate)
                return aggregate.InnerExceptions.Select(Find).FirstOrDefault(found => found is not null);
        }
        return null;
    }
}
