namespace OrleansConnect.Connect.Errors;

/// <summary>An invalid SchemaBuilder call (member set twice, bad default, field on a non-struct).</summary>
public class SchemaBuilderException : DataException
{
    public SchemaBuilderException(string message) : base(message) { }

    public SchemaBuilderException(string message, Exception? innerException) : base(message, innerException) { }
}
