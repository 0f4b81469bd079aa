using System.Text;
using OrleansConnect.Api.Security;

namespace OrleansConnect.Silo.Users;

/// <summary><c>users add|remove|list --file F ...</c>: manages the credentials file of rest.auth.basic.credentials.file.
/// Parsed by hand: three verbs and four options do not need a parser library. Exit codes: 0 done, 1 the operation
/// failed (unknown user, unreadable file), 2 wrong usage.</summary>
public static class UsersCommand
{
    public const string Usage = """
        Usage:
          users add    --file <credentials file> --user <name> --role viewer|operator|admin [--password <password>|-]
          users remove --file <credentials file> --user <name>
          users list   --file <credentials file>
        add creates the file if needed and replaces an existing user's role and password. Without --password, or with
        --password -, the password is read from standard input (one line), which keeps it out of the process list.
        """;

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await (args.Length == 0 ? error : output).WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var verb = args[0];
        if (verb is not ("add" or "remove" or "list")) return await UsageErrorAsync(error, $"unknown command '{verb}'");
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is not ("--file" or "--user" or "--role" or "--password") || i + 1 >= args.Length)
                return await UsageErrorAsync(error, $"unexpected argument '{args[i]}'");
            options[args[i][2..]] = args[++i];
        }
        if (!options.TryGetValue("file", out var file) || file.Length == 0) return await UsageErrorAsync(error, "--file is required");

        try
        {
            switch (verb)
            {
                case "list":
                    if (options.Count != 1) return await UsageErrorAsync(error, "list takes --file only");
                    foreach (var user in (await CredentialsFile.ReadAsync(file, cancellationToken)).Values.OrderBy(u => u.Name, StringComparer.Ordinal))
                        await output.WriteLineAsync($"{user.Name} {RestRoles.Name(user.Role)}");
                    return 0;

                case "remove":
                {
                    if (!options.TryGetValue("user", out var name) || options.Count != 2) return await UsageErrorAsync(error, "remove takes --file and --user");
                    var users = new Dictionary<string, RestUser>(await CredentialsFile.ReadAsync(file, cancellationToken));
                    if (!users.Remove(name))
                    {
                        await error.WriteLineAsync($"users: no user '{name}' in {file}");
                        return 1;
                    }
                    await CredentialsFile.WriteAsync(file, users.Values, cancellationToken);
                    await output.WriteLineAsync($"Removed user {name} from {file}");
                    return 0;
                }

                case "add":
                {
                    if (!options.TryGetValue("user", out var name) || !options.TryGetValue("role", out var roleText))
                        return await UsageErrorAsync(error, "add takes --file, --user and --role");
                    if (!CredentialsFile.IsValidUserName(name))
                        return await UsageErrorAsync(error, "the user name must be non-empty, without ':', white space or control characters");
                    if (!RestRoles.TryParse(roleText, out var role)) return await UsageErrorAsync(error, $"unknown role '{roleText}' (viewer, operator or admin)");
                    var password = options.TryGetValue("password", out var given) && given != "-" ? given : await ReadPasswordAsync(input, error);
                    if (string.IsNullOrEmpty(password)) return await UsageErrorAsync(error, "the password is empty");

                    var users = File.Exists(file)
                        ? new Dictionary<string, RestUser>(await CredentialsFile.ReadAsync(file, cancellationToken))
                        : new Dictionary<string, RestUser>(StringComparer.Ordinal);
                    var replaced = users.ContainsKey(name);
                    users[name] = new RestUser(name, role, PasswordHash.Create(password));
                    await CredentialsFile.WriteAsync(file, users.Values, cancellationToken);
                    await output.WriteLineAsync($"{(replaced ? "Updated" : "Added")} user {name} ({RestRoles.Name(role)}) in {file}");
                    return 0;
                }

                default:
                    return await UsageErrorAsync(error, $"unknown command '{verb}'");
            }
        }
        catch (CredentialsFileException e)
        {
            await error.WriteLineAsync($"users: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"users: cannot write {file}: {e.Message}");
            return 1;
        }
    }

    /// <summary>One line from standard input; at a terminal, a prompt on standard error and no echo.</summary>
    private static async Task<string?> ReadPasswordAsync(TextReader input, TextWriter error)
    {
        if (!ReferenceEquals(input, Console.In) || Console.IsInputRedirected)
            return (await input.ReadLineAsync())?.TrimEnd('\r');
        await error.WriteAsync("Password: ");
        var typed = new StringBuilder();
        while (true)
        {
            // Console.ReadKey has no async form; this is the process's only work while a person types.
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        await error.WriteLineAsync();
        return typed.ToString();
    }

    private static async Task<int> UsageErrorAsync(TextWriter error, string problem)
    {
        await error.WriteLineAsync($"users: {problem}");
        await error.WriteLineAsync(Usage);
        return 2;
    }
}
