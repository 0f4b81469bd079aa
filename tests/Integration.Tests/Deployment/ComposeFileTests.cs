using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;
using OrleansConnect.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace OrleansConnect.Tests.Deployment;

/// <summary>No Docker engine runs here: compose.yaml and the Dockerfile are checked by reading them.</summary>
public sealed class ComposeFileTests
{
    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepositoryPaths.Root, "compose.yaml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return (YamlMappingNode)root["services"];
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    [Fact]
    public void Compose_runs_kafka_in_kraft_mode_redis_postgres_and_three_restarting_silos()
    {
        var services = Services();
        var kafka = Map(services, "kafka");
        Assert.Contains("controller", Scalar(Map(kafka, "environment"), "KAFKA_PROCESS_ROLES"));
        Assert.Contains("postgres", Scalar(Map(services, "postgres"), "image"));

        var silo = Map(services, "silo");
        Assert.Equal("Silo/Dockerfile", Scalar(Map(silo, "build"), "dockerfile"));
        // A fixed host port would stop `--scale silo=3`: only container ports may be named.
        var ports = (YamlSequenceNode)silo["ports"];
        Assert.All(ports.Children, p => Assert.DoesNotContain(":", ((YamlScalarNode)p).Value));
        Assert.False(silo.Children.ContainsKey("container_name"), "a container_name stops scaling");
        var dependsOn = Map(silo, "depends_on");
        Assert.True(dependsOn.Children.ContainsKey("kafka") && dependsOn.Children.ContainsKey("postgres") && dependsOn.Children.ContainsKey("redis"));
        Assert.Contains("redis", Scalar(Map(services, "redis"), "image"));
        // Three silos, each brought back after it stopped itself (a silo declared dead exits).
        Assert.Equal("3", Scalar(Map(silo, "deploy"), "replicas"));
        Assert.Equal("unless-stopped", Scalar(silo, "restart"));
    }

    [Fact]
    public void Prometheus_scrapes_the_metrics_endpoint_of_every_silo_replica()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepositoryPaths.Root, "compose.yaml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var prometheus = Map(Services(), "prometheus");
        Assert.StartsWith("prom/prometheus:", Scalar(prometheus, "image"));
        var mounted = (YamlMappingNode)((YamlSequenceNode)prometheus["configs"]).Children[0];
        Assert.Equal("/etc/prometheus/prometheus.yml", Scalar(mounted, "target"));

        // The inline config is itself YAML: one job, /metrics, every address the silo service name resolves to.
        var config = new YamlStream();
        config.Load(new StringReader(Scalar(Map(Map(root, "configs"), Scalar(mounted, "source")), "content")));
        var job = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)config.Documents[0].RootNode)["scrape_configs"]).Children[0];
        Assert.Equal("/metrics", Scalar(job, "metrics_path"));
        var discovery = (YamlMappingNode)((YamlSequenceNode)job["dns_sd_configs"]).Children[0];
        Assert.Equal("silo", ((YamlScalarNode)((YamlSequenceNode)discovery["names"]).Children[0]).Value);
        Assert.Equal("A", Scalar(discovery, "type"));
        var restPort = Scalar(Map(Map(Services(), "silo"), "environment"), "CONNECT_REST_PORT");
        Assert.Equal(restPort, Scalar(discovery, "port"));
    }

    [Fact]
    public void Every_silo_setting_in_compose_is_a_worker_config_key_and_the_whole_set_parses()
    {
        var environment = Map(Map(Services(), "silo"), "environment");
        var settings = new Dictionary<string, string?>();
        foreach (var (key, value) in environment.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            Assert.StartsWith(WorkerProperties.EnvironmentPrefix, name);
            var configKey = WorkerProperties.KeyOf(name);
            Assert.True(WorkerConfig.ConfigDefinition.ConfigKeys.ContainsKey(configKey), $"{name} maps to the unknown key {configKey}");
            // ${VAR:-default} is resolved by compose; its default is what a plain `up` gets.
            var text = ((YamlScalarNode)value).Value!;
            settings[configKey] = text.StartsWith("${", StringComparison.Ordinal) ? text[(text.IndexOf(":-", StringComparison.Ordinal) + 2)..^1] : text;
        }
        var config = new WorkerConfig(settings);
        Assert.Equal("postgresql", config.GetString(WorkerConfig.StorageProvider));
        Assert.False(config.UsesEmbeddedBroker);
        Assert.Equal("redis", config.GetString(WorkerConfig.ClusterMembershipProvider));
        Assert.True(config.IsClustered);
    }

    [Fact]
    public void The_silo_image_installs_librdkafka_from_debian()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Silo", "Dockerfile"));
        Assert.Contains("librdkafka1", dockerfile);
        Assert.Contains("OrleansConnect.Silo.dll", dockerfile);
    }
}
