using System.Text.Json.Nodes;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>The embedded default: the registry is on beside the embedded broker, and what it holds (ids, versions,
/// levels) survives a restart of the silo, as the _schemas topic does in the broker's log.</summary>
public sealed class RegistryRestartTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-registry-restart-" + Guid.NewGuid().ToString("N")[..8]);

    // xunit 2 disposes test classes through IDisposable only (an IAsyncDisposable one is never called).
    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<Reply> Registry(SiloProcess silo, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient { BaseAddress = silo.RegistryAddress, Timeout = TimeSpan.FromSeconds(60) };
        return await http.SendAsync(method, path, body, body is null ? null : "application/vnd.schemaregistry.v1+json");
    }

    [Fact]
    public async Task A_restart_keeps_every_id_version_and_level()
    {
        var schemas = new[] { "\"string\"", "\"long\"", """{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""" };
        var ids = new List<int>();
        await using (var silo = new SiloProcess(_dir, bootstrapServers: ""))
        {
            await silo.StartAsync(TimeSpan.FromSeconds(90));
            foreach (var schema in schemas)
            {
                var subject = "restart-" + ids.Count;
                await Registry(silo, HttpMethod.Put, $"config/{subject}", """{"compatibility":"NONE"}""");
                var reply = await Registry(silo, HttpMethod.Post, $"subjects/{subject}/versions", new JsonObject { ["schema"] = schema }.ToJsonString());
                Assert.True(reply.Status == 200, reply.ToString());
                ids.Add((int)reply.Object["id"]!);
            }
            await silo.StopAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(3, ids.Distinct().Count());

        await using (var silo = new SiloProcess(_dir, bootstrapServers: ""))
        {
            await silo.StartAsync(TimeSpan.FromSeconds(90));
            for (var i = 0; i < schemas.Length; i++)
            {
                var version = (await Registry(silo, HttpMethod.Get, $"subjects/restart-{i}/versions/1")).Object;
                Assert.Equal(ids[i], (int)version["id"]!);
                Assert.Equal("""{"compatibilityLevel":"NONE"}""", (await Registry(silo, HttpMethod.Get, $"config/restart-{i}")).Text);
            }
            // A new schema gets a new id, never one handed out before the restart.
            var next = (await Registry(silo, HttpMethod.Post, "subjects/restart-new/versions", """{"schema":"\"double\""}""")).Object;
            Assert.DoesNotContain((int)next["id"]!, ids);
        }
    }
}
