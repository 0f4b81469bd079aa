namespace OrleansConnect.Connect.Errors;

/// <summary>A requested Connect entity does not exist (the SDK-level error, not the REST one).</summary>
public class NotFoundException : ConnectException
{
    public NotFoundException(string message) : base(message) { }

    public NotFoundException(string message, Exception? innerException) : base(message, innerException) { }
}
