using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace OrleansConnect.Api.Security;

/// <summary>The users of the credentials file as last read, and the password check against them.</summary>
public sealed class CredentialsStore
{
    // A password verified once is remembered as an HMAC under a key that lives only in this process, so that a client
    // sending the same credentials with every request pays PBKDF2's cost once rather than per request. Failed attempts
    // always pay the full cost: that is what slows guessing down.
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (string Hash, byte[] Mac)> _verified = new(StringComparer.Ordinal);
    // Compared against for unknown users, so that they take as long as a wrong password and names cannot be probed.
    private readonly Lazy<string> _decoy = new(() => PasswordHash.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
    // PBKDF2 takes a core for a fifth of a second: bounding how many run at once keeps a burst of guesses from taking
    // every core from the connectors; excess requests wait their turn without holding a thread.
    private readonly SemaphoreSlim _hashing = new(Math.Max(1, Environment.ProcessorCount / 2));
    private volatile Snapshot _snapshot;

    private CredentialsStore(string path, IReadOnlyDictionary<string, RestUser> users, FileStamp stamp)
    {
        Path = path;
        _snapshot = new Snapshot(users, stamp);
    }

    public string Path { get; }

    public int UserCount => _snapshot.Users.Count;

    internal FileStamp Stamp => _snapshot.Stamp;

    /// <summary>Reads the file; a missing or malformed file throws <see cref="CredentialsFileException"/>.</summary>
    public static async Task<CredentialsStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(path);
        var stamp = FileStamp.Of(full);
        var users = await CredentialsFile.ReadAsync(full, cancellationToken);
        return new CredentialsStore(full, users, stamp);
    }

    internal void Replace(IReadOnlyDictionary<string, RestUser> users, FileStamp stamp)
    {
        _snapshot = new Snapshot(users, stamp);
        // Entries of removed users or changed passwords no longer match; dropping them all keeps the cache small.
        _verified.Clear();
    }

    internal void KeepStamp(FileStamp stamp) => _snapshot = _snapshot with { Stamp = stamp };

    public async Task<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        if (!_snapshot.Users.TryGetValue(user, out var entry))
        {
            await HashAsync(() => PasswordHash.Verify(password, _decoy.Value), cancellationToken);
            return new AuthResult(null, AuthFailure.UnknownUser);
        }
        var mac = HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(password));
        if (_verified.TryGetValue(user, out var known) && known.Hash == entry.PasswordHash && CryptographicOperations.FixedTimeEquals(known.Mac, mac))
            return new AuthResult(entry, null);
        if (!await HashAsync(() => PasswordHash.Verify(password, entry.PasswordHash), cancellationToken))
            return new AuthResult(null, AuthFailure.WrongPassword);
        _verified[user] = (entry.PasswordHash, mac);
        return new AuthResult(entry, null);
    }

    private async Task<bool> HashAsync(Func<bool> verify, CancellationToken cancellationToken)
    {
        await _hashing.WaitAsync(cancellationToken);
        try
        {
            return verify();
        }
        finally
        {
            _hashing.Release();
        }
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, RestUser> Users, FileStamp Stamp);
}

public enum AuthFailure
{
    Missing,
    Malformed,
    UnknownUser,
    WrongPassword,
    Forbidden,
    InvalidToken,
}

public readonly record struct AuthResult(RestUser? User, AuthFailure? Failure);

/// <summary>What tells that the file changed: its write time and length (a rewrite through rename changes both or at
/// least the time).</summary>
internal readonly record struct FileStamp(DateTime LastWriteUtc, long Length)
{
    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : default;
    }
}
