using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Thrown for an https:// listener whose certificate cannot be used; the message is the one line the silo
/// prints (it names files and keys, never a password).</summary>
public sealed class RestTlsException(string message) : Exception(message);

/// <summary>The server certificate of the REST listener's https:// URLs, from Kafka Connect's keys: a PKCS12 keystore
/// (<c>ssl.keystore.location</c>, <c>ssl.keystore.password</c>) or a PEM pair (<c>ssl.certificate.location</c>,
/// <c>ssl.key.location</c>, <c>ssl.key.password</c> for an encrypted key). As in Connect, the keys prefixed with
/// <c>listeners.https.</c> are used when any of them is set, else the unprefixed ones (all or nothing).</summary>
public static class RestTls
{
    public static bool HasHttpsListener(IEnumerable<string> urls) =>
        urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The certificate for the https:// listeners, loaded now so that a bad file or password stops the start.</summary>
    public static async Task<X509Certificate2> LoadAsync(WorkerConfig config, CancellationToken cancellationToken)
    {
        var prefixed = config.Originals.Keys.Any(k => k.StartsWith(WorkerConfig.ListenersHttpsPrefix, StringComparison.Ordinal));
        var prefix = prefixed ? WorkerConfig.ListenersHttpsPrefix : "";
        string? Setting(string key) =>
            config.Originals.TryGetValue(prefix + key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var type = Setting("ssl.keystore.type")?.ToUpperInvariant();
        var keystore = Setting("ssl.keystore.location");
        var certificate = Setting("ssl.certificate.location");
        var key = Setting("ssl.key.location");
        var keyPassword = config.Originals.TryGetValue(prefix + "ssl.key.password", out var kp) && !string.IsNullOrEmpty(kp) ? kp : null;

        // Client certificates are not checked yet: accepting the setting would leave a listener open that looks closed.
        if (Setting("ssl.client.auth") is { } clientAuth && !clientAuth.Equals("none", StringComparison.OrdinalIgnoreCase))
            throw new RestTlsException($"{prefix}ssl.client.auth={clientAuth} is not supported: REST clients cannot be asked for certificates; " +
                "use rest.auth.basic.credentials.file or rest.auth.jwt.* (docs/security.md)");
        if (type == "JKS")
            throw new RestTlsException($"{prefix}ssl.keystore.type=JKS is not supported: convert the keystore to PKCS12 " +
                $"({KeyStoreFormat.JksToPkcs12}) and set ssl.keystore.type=PKCS12");
        if (type is not (null or "PKCS12" or "PEM"))
            throw new RestTlsException($"{prefix}ssl.keystore.type={type} is not supported: use PKCS12 or PEM");

        if (certificate is not null || key is not null)
        {
            if (certificate is null || key is null)
                throw new RestTlsException($"{prefix}ssl.certificate.location and {prefix}ssl.key.location go together: set both");
            return await LoadPemAsync(certificate, key, keyPassword, prefix, cancellationToken);
        }
        if (keystore is null)
            throw new RestTlsException($"listeners has an https:// URL but no certificate: set {WorkerConfig.ListenersHttpsKeystoreLocation} " +
                $"(PKCS12) or {WorkerConfig.ListenersHttpsCertificateLocation} and {WorkerConfig.ListenersHttpsKeyLocation} (PEM)");
        if (type == "PEM") return await LoadPemAsync(keystore, keystore, keyPassword, prefix, cancellationToken); // one file holding key and certificate
        var password = config.Originals.TryGetValue(prefix + "ssl.keystore.password", out var sp) ? sp : null;
        return LoadPkcs12(await ReadFileAsync(keystore, $"{prefix}ssl.keystore.location", cancellationToken), keystore, password, keyPassword, prefix);
    }

    private static X509Certificate2 LoadPkcs12(byte[] bytes, string path, string? password, string? keyPassword, string prefix)
    {
        // Kafka's default keystore type is JKS; a JKS file given without a type is named as such rather than as a bad password.
        if (KeyStoreFormat.IsJks(bytes))
            throw new RestTlsException($"{path} is a JKS keystore, which is not supported: convert it to PKCS12 ({KeyStoreFormat.JksToPkcs12})");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException) when (keyPassword is not null && keyPassword != password)
        {
            // .NET keeps one password per PKCS12 file; a store whose key was protected with ssl.key.password opens with that.
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, keyPassword, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (CryptographicException)
            {
                throw new RestTlsException($"cannot open the keystore {path}: wrong {prefix}ssl.keystore.password or not a PKCS12 file");
            }
        }
        catch (CryptographicException)
        {
            throw new RestTlsException($"cannot open the keystore {path}: wrong {prefix}ssl.keystore.password or not a PKCS12 file");
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new RestTlsException($"the keystore {path} holds no private key with its certificate");
        }
        return certificate;
    }

    private static async Task<X509Certificate2> LoadPemAsync(string certificatePath, string keyPath, string? keyPassword, string prefix,
        CancellationToken cancellationToken)
    {
        var certificateText = System.Text.Encoding.ASCII.GetString(await ReadFileAsync(certificatePath, $"{prefix}ssl.certificate.location", cancellationToken));
        var keyText = System.Text.Encoding.ASCII.GetString(await ReadFileAsync(keyPath, $"{prefix}ssl.key.location", cancellationToken));
        try
        {
            using var pem = keyPassword is null
                ? X509Certificate2.CreateFromPem(certificateText, keyText)
                : X509Certificate2.CreateFromEncryptedPem(certificateText, keyText, keyPassword);
            // Through PKCS12 so that the key is usable by TLS on every platform (a PEM-imported key is ephemeral).
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            var hint = keyPassword is null ? "(an encrypted key needs ssl.key.password)" : $"(or a wrong {prefix}ssl.key.password)";
            throw new RestTlsException($"cannot use the PEM certificate {certificatePath} with the key {keyPath}: {FirstLine(e.Message)} {hint}");
        }
        catch (ArgumentException e)
        {
            throw new RestTlsException($"cannot use the PEM certificate {certificatePath} with the key {keyPath}: {FirstLine(e.Message)}");
        }
    }

    private static async Task<byte[]> ReadFileAsync(string path, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RestTlsException($"{key}: the file {path} does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RestTlsException($"{key}: cannot read {path}: {e.Message}");
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
