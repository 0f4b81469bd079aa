using OrleansConnect.Connect.Data;
using OrleansConnect.Plugins.File;
using Xunit;

namespace OrleansConnect.Tests.File;

/// <summary>FileStreamSinkTask writes one line per record with the value's Java toString, as Kafka's
/// FileStreamSinkTask.put does (connect/file/src/main/java/org/apache/kafka/connect/file/FileStreamSinkTask.java:
/// <c>outputStream.println(record.value())</c>).</summary>
public sealed class FileStreamSinkTaskTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "oc-sink-" + Guid.NewGuid().ToString("N") + ".txt");

    public void Dispose() => System.IO.File.Delete(_file);

    [Fact]
    public async Task Every_value_type_is_written_as_Kafka_writes_it()
    {
        var schema = SchemaBuilder.Struct().Field("a", SchemaBuilder.Int32().Build()).Field("b", SchemaBuilder.String().Build()).Build();
        object?[] values =
        [
            new Dictionary<string, object?> { ["i"] = 1L, ["tag"] = "good" },
            new List<object?> { "p", "q" },
            true,
            new Struct(schema).Put("a", 1).Put("b", "x"),
            12.3400m,
            1e10,
            float.NaN,
            Timestamp.ToLogical(Timestamp.Schema(), 0),
            null,
            "plain text",
        ];
        var task = new FileStreamSinkTask();
        await task.StartAsync(new Dictionary<string, string> { ["file"] = _file }, CancellationToken.None);
        await task.PutAsync(values.Select((v, i) => TestRecords.SinkValue(null, v, offset: i)).ToList(), CancellationToken.None);
        await task.StopAsync(CancellationToken.None);

        Assert.Equal(
            ["{i=1, tag=good}", "[p, q]", "true", "Struct{a=1,b=x}", "12.3400", "1.0E10", "NaN", "Thu Jan 01 00:00:00 UTC 1970", "null", "plain text", ""],
            (await System.IO.File.ReadAllTextAsync(_file)).Split('\n'));
    }
}
