using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 27-29 and §8: logger listing, levels, prefix semantics, last_modified, scopes and errors.</summary>
[Collection(BrokerCollection.Name)]
public sealed class LoggersContractTests(TestBroker broker, LoggersContractTests.Silo silo)
    : IClassFixture<LoggersContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Listing_shows_root_with_a_null_last_modified()
    {
        var reply = await Client.Get("admin/loggers");
        AssertStatus(reply, 200);
        var root = reply.Json!["root"]!.AsObject();
        Assert.Equal(["last_modified", "level"], root.Select(p => p.Key).Order());
        Assert.Null(root["last_modified"]);
        Assert.False(string.IsNullOrEmpty((string?)root["level"]));

        var byName = await Client.Get("admin/loggers/ROOT");
        AssertStatus(byName, 200);
        Assert.Equal((string?)root["level"], (string?)byName.Json!["level"]);
    }

    [Fact]
    public async Task Setting_a_namespace_sets_every_logger_under_it_and_last_modified_changes_only_with_the_level()
    {
        var ns = "OrleansConnect.Grains." + Guid.NewGuid().ToString("N")[..6];
        var first = await Client.Put($"admin/loggers/{ns}", """{"level":"debug"}""");
        AssertStatus(first, 200);
        Assert.Equal([ns], first.Array.Select(n => (string?)n));

        var child = ns + ".Child";
        AssertStatus(await Client.Put($"admin/loggers/{child}", """{"level":"WARN"}"""), 200);
        var both = await Client.Put($"admin/loggers/{ns}", """{"level":"ERROR"}""");
        Assert.Equal([ns, child], both.Array.Select(n => (string?)n));

        var level = await Client.Get($"admin/loggers/{child}");
        AssertStatus(level, 200);
        Assert.Equal("ERROR", (string?)level.Json!["level"]);
        var modified = (long?)level.Json!["last_modified"];
        Assert.NotNull(modified);

        // The same level again changes nothing, not even last_modified.
        await Client.Put($"admin/loggers/{ns}", """{"level":"error"}""");
        Assert.Equal(modified, (long?)(await Client.Get($"admin/loggers/{child}")).Json!["last_modified"]);
        Assert.Equal("ERROR", (string?)(await Client.Get("admin/loggers")).Json![ns]!["level"]);
    }

    [Fact]
    public async Task Scopes_and_errors_follow_Connect()
    {
        var ns = "OrleansConnect.Api." + Guid.NewGuid().ToString("N")[..6];
        var cluster = await Client.Put($"admin/loggers/{ns}?scope=cluster", """{"level":"WARN"}""");
        AssertStatus(cluster, 204);
        Assert.Equal("", cluster.Text);
        // A single silo is the whole cluster: the level is in place when the answer comes.
        var applied = await Client.Get($"admin/loggers/{ns}");
        AssertStatus(applied, 200);
        Assert.Equal("WARN", (string?)applied.Json!["level"]);
        Assert.NotNull((long?)applied.Json!["last_modified"]);
        var unknownScope = await Client.Put($"admin/loggers/{ns}?scope=galaxy", """{"level":"INFO"}""");
        AssertStatus(unknownScope, 200);
        Assert.Equal([ns], unknownScope.Array.Select(n => (string?)n));

        AssertError(await Client.Put($"admin/loggers/{ns}", "{}"), 400, "Desired 'level' parameter was not specified in request.");
        AssertError(await Client.Put($"admin/loggers/{ns}", """{"level":"LOUD"}"""), 404, "invalid log level 'LOUD'.");
        var unknown = "no.such.logger." + Guid.NewGuid().ToString("N")[..6];
        AssertError(await Client.Get($"admin/loggers/{unknown}"), 404, $"Logger {unknown} not found.");
    }
}
