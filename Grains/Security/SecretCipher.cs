using System.Security.Cryptography;
using System.Text;
using OrleansConnect.Connect.Config;

namespace OrleansConnect.Grains.Security;

/// <summary>Encrypts secret config values for grain state with AES-256-GCM. A stored value reads
/// <c>enc:v1:&lt;key id&gt;:&lt;base64(nonce | ciphertext | tag)&gt;</c>; the key id (the first bytes of the key's SHA-256)
/// says which key to decrypt with, so values written under secrets.encryption.previous.key.file still decrypt after a
/// rotation. The config key name is the associated data: a ciphertext copied to another key does not decrypt.
/// Without a key values are stored as given.</summary>
public sealed class SecretCipher
{
    private const string Prefix = "enc:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly (string Id, byte[] Key)? _current;
    private readonly (string Id, byte[] Key)? _previous;

    public SecretCipher(byte[]? currentKey, byte[]? previousKey = null)
    {
        if (currentKey is not null) _current = (IdOf(currentKey), currentKey);
        if (previousKey is not null) _previous = (IdOf(previousKey), previousKey);
    }

    public static SecretCipher None { get; } = new(null);

    public bool Enabled => _current is not null;

    /// <summary>Reads a key file: 32 raw bytes, or their base64 text.</summary>
    public static byte[] ReadKeyFile(string configName, string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{configName}: cannot read the key file {path}: {e.Message}");
        }
        if (bytes.Length == 32) return bytes;
        try
        {
            var decoded = Convert.FromBase64String(Encoding.ASCII.GetString(bytes).Trim());
            if (decoded.Length == 32) return decoded;
        }
        catch (FormatException) { }
        throw new ConfigException($"{configName}: the key file {path} must hold 32 random bytes, raw or base64 (e.g. `head -c 32 /dev/urandom | base64 > {path}`)");
    }

    public static bool IsEncrypted(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>True when the value should be written again: encrypted with an older key, or plain while a key is set.</summary>
    public bool NeedsRewrite(string value) =>
        IsEncrypted(value) ? _current is null || KeyIdOf(value) != _current.Value.Id : _current is not null;

    public string Encrypt(string name, string plaintext)
    {
        if (_current is not { } current || IsEncrypted(plaintext)) return plaintext;
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + plain.Length + TagSize];
        nonce.CopyTo(output, 0);
        using var aes = new AesGcm(current.Key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), Encoding.UTF8.GetBytes(name));
        return Prefix + current.Id + ":" + Convert.ToBase64String(output);
    }

    /// <summary>The plaintext; a value that is not encrypted is returned as is. Throws ConfigException naming the key
    /// when no configured key can decrypt it.</summary>
    public string Decrypt(string name, string stored)
    {
        if (!IsEncrypted(stored)) return stored;
        var id = KeyIdOf(stored);
        var key = _current is { } c && c.Id == id ? c.Key : _previous is { } p && p.Id == id ? p.Key : null;
        if (key is null)
            throw new ConfigException($"The stored value of '{name}' was encrypted with key {id}, which is neither secrets.encryption.key.file nor secrets.encryption.previous.key.file of this silo");
        try
        {
            var data = Convert.FromBase64String(stored[(Prefix.Length + id.Length + 1)..]);
            var plain = new byte[data.Length - NonceSize - TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, plain.Length), data.AsSpan(NonceSize + plain.Length), plain, Encoding.UTF8.GetBytes(name));
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException or OverflowException)
        {
            throw new ConfigException($"The stored value of '{name}' could not be decrypted (damaged, or not written for this key)");
        }
    }

    private static string KeyIdOf(string stored)
    {
        var end = stored.IndexOf(':', Prefix.Length);
        return end < 0 ? "" : stored[Prefix.Length..end];
    }

    private static string IdOf(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..8];
}
