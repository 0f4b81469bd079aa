namespace OrleansConnect.Grains.Security;

/// <summary>Java keystores, which neither .NET nor librdkafka read: how to recognise one (Kafka's default
/// ssl.*.type is JKS, so a file given without a type may be one) and how to convert it.</summary>
public static class KeyStoreFormat
{
    /// <summary>The keytool command that turns a JKS store into PKCS12, for error messages.</summary>
    public const string JksToPkcs12 = "keytool -importkeystore -srckeystore <store>.jks -destkeystore <store>.p12 -deststoretype PKCS12";

    /// <summary>True when <paramref name="content"/> starts with JKS's magic number 0xFEEDFEED.</summary>
    public static bool IsJks(ReadOnlySpan<byte> content) => content is [0xFE, 0xED, 0xFE, 0xED, ..];
}
