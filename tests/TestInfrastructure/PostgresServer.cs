using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>A throwaway PostgreSQL 15 server on a free loopback port, in its own temporary directory, with one
/// database for the test class that uses it. Stopped (immediately) and deleted afterwards. initdb refuses to run as
/// root, so as root the server runs as the postgres user, which then owns the directory.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private bool _started;

    public int Port { get; } = FreePort();

    /// <summary>PostgreSQL's max_connections for this server (set before it starts).</summary>
    public int MaxConnections { get; init; } = 300;
    public string Database { get; } = "oc_" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Extra server settings (name → value), passed as -c name=value when the server starts; e.g.
    /// wal_level=logical for change data capture tests.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>When set, TCP connections of users other than postgres must give a password (scram-sha-256); the
    /// postgres superuser keeps trust, so fixtures and tests administer the server as before.</summary>
    public bool PasswordAuthentication { get; init; }

    /// <summary>The connection string of this test class's database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={Database};Pooling=true";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDir}/initdb missing); install the postgresql package.");
        Directory.CreateDirectory(_dir);
        var data = Path.Combine(_dir, "data");
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", _dir], asPostgres: false);
        await RunAsync(Path.Combine(BinDir, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        if (PasswordAuthentication)
        {
            // Overwriting keeps the file's owner (postgres); the first matching line wins.
            await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"),
                "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
        }
        await StartServerAsync();
        var admin = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
        await Eventually.Until(async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
                await command.ExecuteNonQueryAsync();
                return true;
            }
            catch (NpgsqlException) { return false; }
        }, TimeSpan.FromSeconds(30), $"PostgreSQL on port {Port} accepts connections\n{ServerLog}");
    }

    private async Task StartServerAsync()
    {
        await RunAsync(Path.Combine(BinDir, "pg_ctl"),
            ["-D", Path.Combine(_dir, "data"), "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={MaxConnections}{ExtraSettings}",
                "-l", Path.Combine(_dir, "log"), "-w", "start"]);
        _started = true;
    }

    private string ExtraSettings => string.Concat(Settings.Select(kv => $" -c {kv.Key}={kv.Value}"));

    /// <summary>Stops the server as an administrator would: "fast" ends every session with 57P01 (admin shutdown),
    /// "immediate" drops them; either way clients then get connection refused. Returns once it is down.</summary>
    public async Task StopAsync(string mode = "fast")
    {
        await RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", mode, "-w", "stop"]);
        _started = false;
    }

    /// <summary>Starts a stopped server again on the same port and data; returns once it accepts connections.</summary>
    public Task RestartAsync() => StartServerAsync();

    public string ServerLog
    {
        get
        {
            try { return File.ReadAllText(Path.Combine(_dir, "log")); }
            catch (IOException) { return ""; }
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started)
        {
            try { await RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]); }
            catch (InvalidOperationException) { }
        }
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres = true)
    {
        var info = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && IsRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file }) info.ArgumentList.Add(a);
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
    }

    private static int FreePort() => TestPorts.Free();
}
