using OrleansConnect.Connect.Errors;
using OrleansConnect.Grains.Connectors;
using OrleansConnect.Plugins.File;

namespace OrleansConnect.Tests.Connectors;

public sealed class TaskConfigGeneratorTests
{
    private static Dictionary<string, string> Config(params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string> { ["connector.class"] = "ScriptedSourceConnector", ["tasks.max"] = "3" };
        foreach (var (key, value) in extra) config[key] = value;
        return config;
    }

    [Fact]
    public void Each_task_config_gets_the_task_class_and_at_most_tasks_max_configs_are_asked_for()
    {
        var asked = 0;
        var connector = new ScriptedSourceConnector();
        connector.Generate = max =>
        {
            asked = max;
            return [new Dictionary<string, string> { ["part"] = "a" }, new Dictionary<string, string> { ["part"] = "b" }];
        };
        var config = Config();
        var generated = TaskConfigGenerator.Generate(connector, "c", null, config, config, isSink: false);

        Assert.Equal(3, asked);
        Assert.Equal(["a", "b"], generated.Select(c => c["part"]));
        Assert.All(generated, c => Assert.Equal(typeof(ScriptedSourceTask).FullName, c["task.class"]));
        Assert.All(generated, c => Assert.False(c.ContainsKey("topics"))); // a source's tasks get no topics
    }

    [Fact]
    public void More_configs_than_tasks_max_fail_unless_enforcement_is_off()
    {
        var connector = new ScriptedSourceConnector { Generate = max => Enumerable.Range(0, max + 1).Select(_ => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>()).ToList() };
        var config = Config();
        var e = Assert.Throws<ConnectException>(() => TaskConfigGenerator.Generate(connector, "too-many", null, config, config, isSink: false));
        Assert.Equal("Connector too-many generated 4 tasks, more than tasks.max (3).", e.Message);

        var lenient = Config(("tasks.max.enforce", "false"));
        Assert.Equal(4, TaskConfigGenerator.Generate(connector, "too-many", null, lenient, lenient, isSink: false).Count);
    }

    [Fact]
    public void Sink_tasks_carry_the_connectors_topics()
    {
        var config = Config(("topics", "a,b"), ("tasks.max", "2"));
        var generated = TaskConfigGenerator.Generate(new NamedTaskSinkConnector(), "s", null, config, config, isSink: true);
        Assert.Equal(2, generated.Count);
        Assert.All(generated, c => Assert.Equal("a,b", c["topics"]));
    }

    [Fact]
    public void Resolved_references_go_back_to_their_reference_form()
    {
        var connector = new ScriptedSourceConnector { Generate = _ => [new Dictionary<string, string> { ["password"] = "s3cret", ["other"] = "s3cret-not" }] };
        var plain = Config(("password", "${file:/run/secrets/db:password}"));
        var resolved = Config(("password", "s3cret"));
        var generated = Assert.Single(TaskConfigGenerator.Generate(connector, "c", null, plain, resolved, isSink: false));
        Assert.Equal("${file:/run/secrets/db:password}", generated["password"]);
        Assert.Equal("s3cret-not", generated["other"]);
    }

    [Fact]
    public void Task_class_names_follow_connect()
    {
        // [PluginName] on the task wins.
        Assert.Equal("com.example.NamedSinkTask", TaskConfigGenerator.TaskClassName(new NamedTaskSinkConnector(), "com.example.NamedTaskSinkConnector"));
        // A connector known by its Kafka class name: the task in the same Java package.
        Assert.Equal("org.apache.kafka.connect.file.FileStreamSourceTask",
            TaskConfigGenerator.TaskClassName(new FileStreamSourceConnector(), "org.apache.kafka.connect.file.FileStreamSourceConnector"));
        // Otherwise the .NET name.
        Assert.Equal(typeof(ScriptedSourceTask).FullName, TaskConfigGenerator.TaskClassName(new ScriptedSourceConnector(), null));
    }

    [Fact]
    public void Same_compares_keys_and_values_in_order()
    {
        IReadOnlyList<IReadOnlyDictionary<string, string>> a = [new Dictionary<string, string> { ["k"] = "1" }, new Dictionary<string, string> { ["k"] = "2" }];
        IReadOnlyList<IReadOnlyDictionary<string, string>> same = [new Dictionary<string, string> { ["k"] = "1" }, new Dictionary<string, string> { ["k"] = "2" }];
        IReadOnlyList<IReadOnlyDictionary<string, string>> swapped = [a[1], a[0]];
        IReadOnlyList<IReadOnlyDictionary<string, string>> extraKey = [new Dictionary<string, string> { ["k"] = "1", ["x"] = "" }, a[1]];
        Assert.True(TaskConfigGenerator.Same(a, same));
        Assert.False(TaskConfigGenerator.Same(a, swapped));
        Assert.False(TaskConfigGenerator.Same(a, extraKey));
        Assert.False(TaskConfigGenerator.Same(a, [a[0]]));
    }
}
