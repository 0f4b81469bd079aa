using System.Text;

namespace OrleansConnect.Api.Security;

/// <summary>One user of the credentials file.</summary>
public sealed record RestUser(string Name, RestRole Role, string PasswordHash);

/// <summary>Thrown for a credentials file that cannot be read or has a bad line; the message names the file and line,
/// never a hash.</summary>
public sealed class CredentialsFileException(string message) : Exception(message);

/// <summary>The file behind <c>rest.auth.basic.credentials.file</c>: one user per line,
/// <c>&lt;user&gt;:&lt;role&gt;:pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>; blank lines and lines starting
/// with # are ignored. User names are non-empty and have no ':', white space or control characters (the Basic scheme
/// splits user and password at the first ':').</summary>
public static class CredentialsFile
{
    public static bool IsValidUserName(string name) =>
        name.Length is > 0 and <= 256 && !name.Any(c => c == ':' || char.IsWhiteSpace(c) || char.IsControl(c));

    public static IReadOnlyDictionary<string, RestUser> Parse(string text, string path)
    {
        var users = new Dictionary<string, RestUser>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
                throw new CredentialsFileException($"{path} line {number}: expected <user>:<role>:<password hash>");
            var (name, roleText, hash) = (parts[0], parts[1], parts[2]);
            if (!IsValidUserName(name))
                throw new CredentialsFileException($"{path} line {number}: the user name is empty or has ':', white space or control characters");
            if (!RestRoles.TryParse(roleText, out var role))
                throw new CredentialsFileException($"{path} line {number}: unknown role '{roleText}' (viewer, operator or admin)");
            if (PasswordHash.Validate(hash) is { } problem)
                throw new CredentialsFileException($"{path} line {number}: {problem}");
            if (!users.TryAdd(name, new RestUser(name, role, hash)))
                throw new CredentialsFileException($"{path} line {number}: user '{name}' is listed twice");
        }
        return users;
    }

    public static async Task<IReadOnlyDictionary<string, RestUser>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialsFileException(e is FileNotFoundException or DirectoryNotFoundException
                ? $"the credentials file {path} does not exist (create it with: users add --file {path} --user <name> --role admin)"
                : $"cannot read the credentials file {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    public static string Format(IEnumerable<RestUser> users)
    {
        var text = new StringBuilder("# OrleansConnect REST users: <user>:<role>:pbkdf2-sha256$<iterations>$<salt>$<hash> (docs/security.md)\n");
        foreach (var user in users.OrderBy(u => u.Name, StringComparer.Ordinal))
            text.Append(user.Name).Append(':').Append(RestRoles.Name(user.Role)).Append(':').Append(user.PasswordHash).Append('\n');
        return text.ToString();
    }

    /// <summary>Writes the whole file through a temporary file and a rename, so a silo re-reading it never sees half a
    /// file; owner read/write only, as it holds password hashes.</summary>
    public static async Task WriteAsync(string path, IEnumerable<RestUser> users, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            await using (var stream = new FileStream(temp, options))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(Format(users));
                await stream.WriteAsync(bytes, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
