using OrleansConnect.Api.Security;

namespace OrleansConnect.Tests.Security;

/// <summary>The silo binary's users command, run as a process: add (password as an argument or from standard input),
/// list (names and roles, never hashes) and remove, on a file of salted PBKDF2-SHA256 hashes.</summary>
public sealed class UsersCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-users-" + Guid.NewGuid().ToString("N")[..8]);

    public UsersCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string File => Path.Combine(_dir, "users.credentials");

    [Fact]
    public async Task Add_list_and_remove_keep_hashes_in_the_file_and_out_of_the_listing()
    {
        var added = await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "ann", "--role", "admin", "--password", "same password"]);
        Assert.True(added.Code == 0, added.ToString());
        // Without --password the password comes from standard input: it never shows in the process list.
        var fromInput = await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "bo", "--role", "viewer"], "same password\n");
        Assert.True(fromInput.Code == 0, fromInput.ToString());
        var dash = await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "cy", "--role", "operator", "--password", "-"], "other\n");
        Assert.True(dash.Code == 0, dash.ToString());

        var list = await SiloCommand.RunAsync(["users", "list", "--file", File]);
        Assert.True(list.Code == 0, list.ToString());
        Assert.Equal(["ann admin", "bo viewer", "cy operator"], list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("pbkdf2", list.Output);

        var text = await System.IO.File.ReadAllTextAsync(File);
        Assert.DoesNotContain("same password", text);
        var users = CredentialsFile.Parse(text, File);
        Assert.Equal(RestRole.Viewer, users["bo"].Role);
        // One password, two users: a salt per user makes the hashes differ.
        Assert.NotEqual(users["ann"].PasswordHash, users["bo"].PasswordHash);
        Assert.True(PasswordHash.Verify("same password", users["bo"].PasswordHash));
        Assert.True(PasswordHash.Verify("other", users["cy"].PasswordHash));
        Assert.False(PasswordHash.Verify("Same password", users["ann"].PasswordHash));
        Assert.Matches(@"^pbkdf2-sha256\$600000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$", users["ann"].PasswordHash);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(File));

        var removed = await SiloCommand.RunAsync(["users", "remove", "--file", File, "--user", "bo"]);
        Assert.True(removed.Code == 0, removed.ToString());
        list = await SiloCommand.RunAsync(["users", "list", "--file", File]);
        Assert.Equal(["ann admin", "cy operator"], list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Mistakes_are_one_line_with_a_nonzero_exit()
    {
        var unknownUser = await SiloCommand.RunAsync(["users", "remove", "--file", File, "--user", "ghost"]);
        Assert.Equal(1, unknownUser.Code); // no file yet
        Assert.Contains("does not exist", unknownUser.Error);

        var badRole = await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "x", "--role", "root", "--password", "p"]);
        Assert.Equal(2, badRole.Code);
        Assert.Contains("unknown role 'root'", badRole.Error);

        var colon = await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "a:b", "--role", "admin", "--password", "p"]);
        Assert.Equal(2, colon.Code);

        Assert.Equal(0, (await SiloCommand.RunAsync(["users", "add", "--file", File, "--user", "x", "--role", "viewer", "--password", "p"])).Code);
        var missing = await SiloCommand.RunAsync(["users", "remove", "--file", File, "--user", "ghost"]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("no user 'ghost'", missing.Error);
    }

    [Theory]
    [InlineData("alice:admin", "expected <user>:<role>:<password hash>")]
    [InlineData("alice:root:pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "unknown role 'root'")]
    [InlineData("alice:admin:pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "at least 100000 iterations")]
    [InlineData("alice:admin:plain-text-password", "is not pbkdf2-sha256")]
    public void A_bad_line_is_named_by_its_number(string line, string problem)
    {
        var e = Assert.Throws<CredentialsFileException>(() => CredentialsFile.Parse("# users\n\n" + line + "\n", "f"));
        Assert.Contains("f line 3", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("GET", "/connectors/c/config", RestRole.Viewer)]
    [InlineData("HEAD", "/", RestRole.Viewer)]
    [InlineData("GET", "/dashboard/", RestRole.Viewer)]
    [InlineData("PUT", "/connectors/c/pause", RestRole.Operator)]
    [InlineData("put", "/CONNECTORS/c/Resume/", RestRole.Operator)]
    [InlineData("PUT", "/connectors/c/stop", RestRole.Operator)]
    [InlineData("POST", "/connectors/c/restart", RestRole.Operator)]
    [InlineData("POST", "/connectors/c/tasks/0/restart", RestRole.Operator)]
    [InlineData("PATCH", "/connectors/c/offsets", RestRole.Operator)]
    [InlineData("DELETE", "/connectors/c/offsets", RestRole.Operator)]
    [InlineData("PUT", "/connectors/c/topics/reset", RestRole.Operator)]
    [InlineData("POST", "/connectors", RestRole.Admin)]
    [InlineData("PUT", "/connectors/c/config", RestRole.Admin)]
    [InlineData("PATCH", "/connectors/c/config", RestRole.Admin)]
    [InlineData("DELETE", "/connectors/c", RestRole.Admin)]
    [InlineData("DELETE", "/connectors/pause", RestRole.Admin)] // a connector named "pause"
    [InlineData("PUT", "/connector-plugins/p/config/validate", RestRole.Admin)]
    [InlineData("PUT", "/admin/loggers/root", RestRole.Admin)]
    [InlineData("POST", "/transforms/preview", RestRole.Admin)]
    [InlineData("POST", "/dashboard/anything", RestRole.Admin)]
    public void Each_request_needs_the_documented_role(string method, string path, RestRole role) =>
        Assert.Equal(role, RestRoles.Required(method, path));

    [Theory]
    [InlineData("GET", "/health")]
    [InlineData("GET", "/Health/")]
    public void Health_needs_no_role(string method, string path) => Assert.Null(RestRoles.Required(method, path));
}
