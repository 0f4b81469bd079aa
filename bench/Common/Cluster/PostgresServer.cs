using System.Diagnostics;
using Npgsql;

namespace OrleansConnect.Bench;

/// <summary>A throwaway PostgreSQL 15 on a free loopback port in a temporary directory, stopped and deleted
/// afterwards (adapted from the integration tests' fixture). initdb refuses to run as root, so as root the
/// server runs as the postgres user. Shared by the benches that run a cluster (bench/Common/Cluster/*.cs).</summary>
/// <param name="maxConnections">PostgreSQL's <c>max_connections</c>; its own default is 100.</param>
/// <param name="extraOptions">More server options, e.g. <c>-c wal_level=logical</c> for change data capture.</param>
public sealed class PostgresServer(int maxConnections = 300, string extraOptions = "") : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private bool _started;

    public int Port { get; } = SiloBench.FreePort();

    public int MaxConnections => maxConnections;

    /// <summary>The server's directory (data, socket, log), deleted on dispose.</summary>
    public string Root => _dir;

    /// <summary>The server's log (connection refusals show there); gone after dispose.</summary>
    public string LogPath => Path.Combine(_dir, "log");

    /// <summary>The postmaster's pid (first line of postmaster.pid), once started.</summary>
    public int? PostmasterPid { get; private set; }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDir}/initdb missing); install the postgresql package.");
        Directory.CreateDirectory(_dir);
        var data = Path.Combine(_dir, "data");
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", _dir], asPostgres: false);
        await RunAsync(Path.Combine(BinDir, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        await StartAgainAsync();
    }

    /// <summary>Starts the server on its existing data directory (after <see cref="StopAsync"/>): the same port, its data kept.</summary>
    public async Task StartAgainAsync()
    {
        var data = Path.Combine(_dir, "data");
        await RunAsync(Path.Combine(BinDir, "pg_ctl"),
            ["-D", data, "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={maxConnections} {extraOptions}", "-l", LogPath, "-w", "start"]);
        _started = true;
        PostmasterPid = int.Parse(File.ReadLines(Path.Combine(data, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary><c>pg_ctl stop -m fast</c> (what an operator's restart does: clients are disconnected, the data is kept),
    /// waiting until the server is down.</summary>
    public async Task StopAsync()
    {
        await RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "stop"]);
        _started = false;
        PostmasterPid = null;
    }

    /// <summary>A fresh database per measured setting: each cluster starts from an empty schema.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        var admin = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
        await SiloBench.UntilAsync(async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }
            catch (NpgsqlException) { return false; }
        }, TimeSpan.FromSeconds(30), () => $"PostgreSQL on port {Port} to accept connections", cancellationToken, TimeSpan.FromMilliseconds(200));
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
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
}
