namespace OrleansConnect.Connect.Errors;

/// <summary>Base of every Connect error raised by connectors, converters and the runtime.</summary>
public class ConnectException : Exception
{
    public ConnectException(string message) : base(message) { }

    public ConnectException(string message, Exception? innerException) : base(message, innerException) { }
}
