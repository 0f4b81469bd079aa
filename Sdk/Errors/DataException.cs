namespace OrleansConnect.Connect.Errors;

/// <summary>Data that does not fit its schema, or cannot be converted.</summary>
public class DataException : ConnectException
{
    public DataException(string message) : base(message) { }

    public DataException(string message, Exception? innerException) : base(message, innerException) { }
}
