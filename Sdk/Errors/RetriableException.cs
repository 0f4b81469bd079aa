namespace OrleansConnect.Connect.Errors;

/// <summary>A transient failure: the runtime retries the operation instead of failing the task.</summary>
public class RetriableException : ConnectException
{
    public RetriableException(string message) : base(message) { }

    public RetriableException(string message, Exception? innerException) : base(message, innerException) { }
}
