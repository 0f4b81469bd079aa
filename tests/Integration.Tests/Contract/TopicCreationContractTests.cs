using System.Text.RegularExpressions;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Issue item 3: a source's topic.creation.* groups create its topics as configured (here on the silo's own
/// embedded broker, whose address the silo logs): the default group's partitions, or the first group whose include
/// regex matches and whose exclude regex does not.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TopicCreationContractTests : IAsyncLifetime
{
    private readonly SiloProcess _silo = new(
        Path.Combine(Path.GetTempPath(), "oc-contract-topiccreation-" + Guid.NewGuid().ToString("N")[..8]), bootstrapServers: "");
    private string _bootstrap = "";

    public async Task InitializeAsync()
    {
        await _silo.StartAsync();
        var match = Regex.Match(_silo.Log, @"Embedded Kafka broker listening on (\S+)");
        Assert.True(match.Success, "the silo did not log its embedded broker's address:\n" + _silo.Log);
        _bootstrap = match.Groups[1].Value;
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        try { Directory.Delete(_silo.WorkDir, recursive: true); } catch (IOException) { }
    }

    private async Task<string> SourceAsync(string topic, string input, Dictionary<string, string> creation)
    {
        var name = Unique("creator");
        var config = new Dictionary<string, string> { ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic };
        foreach (var (key, value) in creation) config[key] = value;
        await _silo.Client.CreateAsync(name, config);
        return name;
    }

    private int PartitionsOf(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrap }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        return metadata.Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Count ?? 0;
    }

    [Fact]
    public async Task Topics_are_created_with_the_settings_of_the_matching_group()
    {
        var input = Path.Combine(_silo.WorkDir, "input.txt");
        LineFiles.Write(input, ["one", "two"]);
        var creation = new Dictionary<string, string>
        {
            ["topic.creation.default.replication.factor"] = "1",
            ["topic.creation.default.partitions"] = "3",
            ["topic.creation.groups"] = "compacted",
            ["topic.creation.compacted.include"] = "cmp-.*",
            ["topic.creation.compacted.exclude"] = "cmp-skip.*",
            ["topic.creation.compacted.partitions"] = "2",
            ["topic.creation.compacted.cleanup.policy"] = "compact",
            ["admin.override.request.timeout.ms"] = "20000",
        };
        var plain = Unique("plain");
        var compacted = Unique("cmp");
        var excluded = Unique("cmp-skip");
        var sources = new[]
        {
            await SourceAsync(plain, input, creation),
            await SourceAsync(compacted, input, creation),
            await SourceAsync(excluded, input, creation),
        };

        foreach (var source in sources)
            await Eventually.Until(async () => (await _silo.Client.Get(ConnectorPath(source, "offsets"))).Text.Contains("\"position\":8"),
                TimeSpan.FromSeconds(30), $"{source} read its file");
        Assert.Equal(3, PartitionsOf(plain));
        Assert.Equal(2, PartitionsOf(compacted));
        Assert.Equal(3, PartitionsOf(excluded));
        var topics = await _silo.Client.Get(ConnectorPath(sources[1], "topics"));
        Assert.Equal([compacted], topics.Json![sources[1]]!["topics"]!.AsArray().Select(t => (string?)t));
    }
}
