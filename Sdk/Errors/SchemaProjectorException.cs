namespace OrleansConnect.Connect.Errors;

/// <summary>A value cannot be projected from one schema to another.</summary>
public class SchemaProjectorException : DataException
{
    public SchemaProjectorException(string message) : base(message) { }

    public SchemaProjectorException(string message, Exception? innerException) : base(message, innerException) { }
}
