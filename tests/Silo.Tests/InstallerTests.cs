using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>The statement names Orleans 10.4.2's providers ask the OrleansQuery table for (DbStoredQueries and
/// AdoNetGrainStorage in Orleans' source): a missing one fails the provider at start.</summary>
internal static class OrleansContract
{
    public static readonly string[] Persistence = ["ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey"];

    public static readonly string[] Reminders =
    [
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    public static readonly string[] Clustering =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
    ];

    public static async Task<string[]> StoredKeysAsync(bool postgres, string connectionString) =>
        (await Databases.QueryAsync(postgres, connectionString, "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey"))
        .Select(r => (string)r[0]!).ToArray();
}

public sealed class PostgresInstallerTests(PostgresServer server, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Installing_twice_and_from_four_tasks_at_once_succeeds_with_every_statement_Orleans_asks_for()
    {
        var once = await Databases.NewPostgresDatabaseAsync(server);
        await OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, once, StorageParts.All, CancellationToken.None);
        await OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, once, StorageParts.All, CancellationToken.None);

        var racing = await Databases.NewPostgresDatabaseAsync(server);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, racing, StorageParts.All, CancellationToken.None))));

        var expected = OrleansContract.Persistence.Concat(OrleansContract.Reminders).Concat(OrleansContract.Clustering).Order().ToArray();
        Assert.Equal(expected, (await OrleansContract.StoredKeysAsync(true, once)).Order().ToArray());
        Assert.Equal(expected, (await OrleansContract.StoredKeysAsync(true, racing)).Order().ToArray());
    }

    [Fact]
    public async Task A_newer_install_replaces_an_older_statement_text()
    {
        var db = await Databases.NewPostgresDatabaseAsync(server);
        await OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, db, StorageParts.Persistence, CancellationToken.None);
        await Databases.QueryAsync(true, db, "UPDATE OrleansQuery SET QueryText = 'old text' WHERE QueryKey = 'ReadFromStorageKey' RETURNING 1");
        await OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, db, StorageParts.Persistence, CancellationToken.None);
        var text = (string)(await Databases.QueryAsync(true, db, "SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'ReadFromStorageKey'"))[0][0]!;
        Assert.Contains("PayloadBinary", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connection_string_gives_one_clear_error()
    {
        var e = await FailsQuicklyAsync("Host=127.0.0.1;Port=notaport;Password=s3cret");
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
        e = await FailsQuicklyAsync("this is not a connection string");
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_port_gives_one_clear_error_naming_host_and_port_but_not_the_password()
    {
        var port = TestSilo.FreePort();
        var e = await FailsQuicklyAsync($"Host=127.0.0.1;Port={port};Username=postgres;Password=s3cret;Database=x");
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot connect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_gives_one_clear_error_within_the_connect_timeout()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var e = await FailsQuicklyAsync($"Host=127.0.0.1;Port={port};Username=postgres;Password=s3cret;Database=x");
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_gives_one_clear_error()
    {
        var cs = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "no_such_db", Password = "s3cret" }.ConnectionString;
        var e = await FailsQuicklyAsync(cs);
        Assert.Contains("database 'no_such_db' does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_without_create_rights_gives_one_clear_permission_error()
    {
        var role = "limited_" + Guid.NewGuid().ToString("N")[..6];
        await Databases.QueryAsync(true, server.ConnectionString, $"CREATE ROLE {role} LOGIN; SELECT 1");
        // PostgreSQL 15 gives only the database owner CREATE in schema public.
        var db = await Databases.NewPostgresDatabaseAsync(server);
        var cs = new NpgsqlConnectionStringBuilder(db) { Username = role }.ConnectionString;
        var e = await FailsQuicklyAsync(cs);
        Assert.Contains("permission denied", e.Message, StringComparison.Ordinal);
        Assert.Contains(role, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_on_an_unreachable_database_fails_to_start_with_the_same_error_instead_of_hanging()
    {
        var port = TestSilo.FreePort();
        var storage = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password=s3cret;Database=x",
            Parts = StorageParts.All,
        };
        var clock = Stopwatch.StartNew();
        var error = await Record.ExceptionAsync(() => TestSilo.StartAsync(storage));
        Assert.True(clock.Elapsed < Quick, $"failed after {clock.Elapsed}");
        var setup = StorageSetupException.Find(error);
        Assert.True(setup is not null, $"expected a StorageSetupException, got {error}");
        Assert.Contains($"127.0.0.1:{port}", setup.Message, StringComparison.Ordinal);
        Assert.Same(setup, error);
    }

    private async Task<StorageSetupException> FailsQuicklyAsync(string connectionString)
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.PostgreSql, connectionString, StorageParts.All, CancellationToken.None));
        Assert.True(clock.Elapsed < Quick, $"failed after {clock.Elapsed}");
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        output.WriteLine(e.Message);
        return e;
    }
}

public sealed class SqliteInstallerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Installing_twice_and_from_four_tasks_at_once_succeeds_with_every_statement_Orleans_asks_for()
    {
        var parts = StorageParts.Persistence | StorageParts.Reminders;
        var once = Databases.NewSqliteFile(_directory.Path);
        await OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, once, parts, CancellationToken.None);
        await OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, once, parts, CancellationToken.None);

        var racing = Databases.NewSqliteFile(_directory.Path);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, racing, parts, CancellationToken.None))));

        var expected = OrleansContract.Persistence.Concat(OrleansContract.Reminders).Order().ToArray();
        Assert.Equal(expected, (await OrleansContract.StoredKeysAsync(false, once)).Order().ToArray());
        Assert.Equal(expected, (await OrleansContract.StoredKeysAsync(false, racing)).Order().ToArray());
        var mode = await Databases.QueryAsync(false, racing, "PRAGMA journal_mode");
        Assert.Equal("wal", (string)mode[0][0]!);
    }

    [Fact]
    public async Task Bad_sqlite_settings_give_one_clear_error()
    {
        var missing = Path.Combine(_directory.Path, "no", "such", "dir", "state.db");
        var e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, $"Data Source={missing}", StorageParts.Persistence, CancellationToken.None));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);

        e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, "Data Source=:memory:", StorageParts.Persistence, CancellationToken.None));
        Assert.Contains("in-memory", e.Message, StringComparison.Ordinal);

        e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, "Data Sauce=x.db", StorageParts.Persistence, CancellationToken.None));
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);

        var notADatabase = Path.Combine(_directory.Path, "text.db");
        await File.WriteAllTextAsync(notADatabase, "this file is plain text, long enough to be read as a header by SQLite.........");
        e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, $"Data Source={notADatabase}", StorageParts.Persistence, CancellationToken.None));
        Assert.Contains("not a SQLite database", e.Message, StringComparison.Ordinal);

        e = await Assert.ThrowsAsync<StorageSetupException>(() =>
            OrleansSqlSchema.InstallAsync(StorageVendor.Sqlite, $"Data Source={Path.Combine(_directory.Path, "c.db")}", StorageParts.Clustering, CancellationToken.None));
        Assert.Contains("clustering needs PostgreSQL", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
