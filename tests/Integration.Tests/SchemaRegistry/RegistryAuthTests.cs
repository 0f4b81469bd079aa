using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.SchemaRegistry;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;
using OrleansConnect.Tests.Security;
using RegistrySchema = Confluent.SchemaRegistry.Schema;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>With the REST API's authentication on, the registry asks for the same users: a viewer reads, looks up and
/// tests compatibility, an operator also registers, an admin also deletes and changes levels.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RegistryAuthTests(TestBroker broker, RegistryAuthTests.AuthRegistry registry) : IClassFixture<RegistryAuthTests.AuthRegistry>, IAsyncLifetime
{

    private static Task<Reply> Send(HttpClient client, HttpMethod method, string path, string? body = null, string? contentType = "application/vnd.schemaregistry.v1+json") =>
        ContractHttp.SendAsync(client, method, path, body, body is null ? null : contentType);
    public sealed class AuthRegistry : IAsyncLifetime
    {
        public RegistrySilo Silo { get; } = new();
        public string CredentialsFile => Path.Combine(Silo.Dir, "users.credentials");

        public async Task StartAsync(TestBroker broker)
        {
            if (Silo.Process is not null) return;
            Directory.CreateDirectory(Silo.Dir);
            await SiloCommand.AddUserAsync(CredentialsFile, "alice", "admin", "alice-pass");
            await SiloCommand.AddUserAsync(CredentialsFile, "oscar", "operator", "oscar-pass");
            await SiloCommand.AddUserAsync(CredentialsFile, "vera", "viewer", "vera-pass");
            await Silo.StartAsync(broker, new Dictionary<string, string> { ["rest.auth.basic.credentials.file"] = CredentialsFile });
        }

        public Task InitializeAsync() => Task.CompletedTask;
        public Task DisposeAsync() => Silo.DisposeAsync();
    }

    public Task InitializeAsync() => registry.StartAsync(broker);
    public Task DisposeAsync() => Task.CompletedTask;

    private HttpClient As(string? user, string? password)
    {
        var http = registry.Silo.Http();
        if (user is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }

    [Fact]
    public async Task Users_and_roles_of_the_REST_API_guard_the_registry()
    {
        var subject = "auth-" + Guid.NewGuid().ToString("N")[..8];
        var body = new JsonObject { ["schema"] = "\"string\"" }.ToJsonString();

        using (var anonymous = As(null, null))
        {
            var refused = await Send(anonymous, HttpMethod.Get, "subjects");
            Assert.Equal(401, refused.Status);
            Assert.Equal(401, (int)refused.Object["error_code"]!);
            Assert.Contains(refused.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }
        using (var wrong = As("vera", "not-her-password"))
            Assert.Equal(401, (await Send(wrong, HttpMethod.Get, "subjects")).Status);

        // The operator registers through Confluent's client with its basic.auth.user.info.
        using (var client = registry.Silo.Client("oscar:oscar-pass"))
            Assert.True(await client.RegisterSchemaAsync(subject, new RegistrySchema("\"string\"", SchemaType.Avro)) > 0);

        using (var viewer = As("vera", "vera-pass"))
        {
            Assert.Equal(200, (await Send(viewer, HttpMethod.Get, $"subjects/{subject}/versions")).Status);
            Assert.Equal(200, (await Send(viewer, HttpMethod.Post, $"subjects/{subject}", body)).Status);
            Assert.Equal(200, (await Send(viewer, HttpMethod.Post, $"compatibility/subjects/{subject}/versions/latest", body)).Status);
            var forbidden = await Send(viewer, HttpMethod.Post, $"subjects/{subject}/versions", body);
            Assert.Equal((403, 403), (forbidden.Status, (int)forbidden.Object["error_code"]!));
        }
        using (var viewerClient = registry.Silo.Client("vera:vera-pass"))
        {
            var refused = await Assert.ThrowsAsync<SchemaRegistryException>(() => viewerClient.RegisterSchemaAsync(subject + "-x", new RegistrySchema("\"int\"", SchemaType.Avro)));
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        }
        using (var operatorHttp = As("oscar", "oscar-pass"))
        {
            Assert.Equal(403, (await Send(operatorHttp, HttpMethod.Delete, $"subjects/{subject}")).Status);
            Assert.Equal(403, (await Send(operatorHttp, HttpMethod.Put, $"config/{subject}", """{"compatibility":"NONE"}""")).Status);
        }
        using (var admin = As("alice", "alice-pass"))
        {
            Assert.Equal(200, (await Send(admin, HttpMethod.Put, $"config/{subject}", """{"compatibility":"NONE"}""")).Status);
            Assert.Equal("[1]", (await Send(admin, HttpMethod.Delete, $"subjects/{subject}")).Text);
        }
    }
}
