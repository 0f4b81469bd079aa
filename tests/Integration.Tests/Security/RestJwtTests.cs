using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Security;

/// <summary>Bearer tokens (JWT) on a real silo process, beside HTTP Basic: the role claim gives the same rights as a
/// Basic user's role; an expired, foreign-signed, wrong-audience or roleless token gets 401; an EC public key works
/// as well as an HMAC secret; a short secret stops the start.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RestJwtTests(TestBroker broker) : IAsyncLifetime
{
    private const string Secret = "a-test-secret-that-is-longer-than-32-bytes";
    private const string Issuer = "https://idp.example";
    private const string Audience = "orleansconnect";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-jwt-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<HttpClient> _clients = [];
    private SiloProcess? _silo;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var credentials = Path.Combine(_dir, "users");
        await SiloCommand.AddUserAsync(credentials, "basic-admin", "admin", "basic-password");
        _silo = new SiloProcess(Path.Combine(_dir, "silo"), broker.BootstrapServers, new Dictionary<string, string>
        {
            ["rest.auth.basic.credentials.file"] = credentials,
            ["rest.auth.jwt.secret"] = Secret,
            ["rest.auth.jwt.issuer"] = Issuer,
            ["rest.auth.jwt.audience"] = Audience,
        });
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static SigningCredentials Hmac(string secret) =>
        new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256);

    private static string Token(string? role, SigningCredentials? signing = null, string audience = Audience, DateTime? expires = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "token-user" };
        if (role is not null) claims["role"] = role;
        var now = DateTime.UtcNow;
        var notBefore = expires is { } e && e < now ? e.AddMinutes(-10) : now.AddMinutes(-1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = signing ?? Hmac(Secret),
        });
    }

    private HttpClient Bearer(SiloProcess silo, string token)
    {
        var client = new HttpClient { BaseAddress = silo.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients.Add(client);
        return client;
    }

    private Dictionary<string, string> SourceConfig() => new()
    {
        ["connector.class"] = "FileStreamSource",
        ["file"] = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".txt"),
        ["topic"] = "jwt-" + Guid.NewGuid().ToString("N")[..8],
        ["topic.creation.default.partitions"] = "1",
        ["topic.creation.default.replication.factor"] = "1",
    };

    [Fact]
    public async Task The_role_claim_gives_the_same_rights_as_a_basic_users_role()
    {
        var silo = _silo!;
        var name = "jwt-" + Guid.NewGuid().ToString("N")[..8];
        await Bearer(silo, Token("admin")).CreateAsync(name, SourceConfig());

        var viewer = Bearer(silo, Token("viewer"));
        AssertStatus(await viewer.Get(ConnectorPath(name)), 200);
        AssertError(await viewer.Put(ConnectorPath(name, "pause")), 403);

        var operatorClient = Bearer(silo, Token("operator"));
        AssertStatus(await operatorClient.Put(ConnectorPath(name, "pause")), 202);
        var body = new JsonObject { ["name"] = name + "-2", ["config"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(SourceConfig())) };
        AssertError(await operatorClient.Post("connectors", body.ToJsonString()), 403);

        // Basic still works beside bearer tokens, and the challenge offers both.
        using var basic = new HttpClient { BaseAddress = silo.BaseAddress };
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("basic-admin:basic-password"u8.ToArray()));
        AssertStatus(await basic.Delete(ConnectorPath(name)), 204);
        using var anonymous = new HttpClient { BaseAddress = silo.BaseAddress };
        var challenge = await anonymous.Get("connectors");
        AssertError(challenge, 401);
        Assert.Equal(["Basic realm=\"OrleansConnect\"", "Bearer realm=\"OrleansConnect\""],
            challenge.Headers.WwwAuthenticate.Select(h => h.ToString()).Order());
    }

    [Fact]
    public async Task Expired_foreign_wrong_audience_and_roleless_tokens_get_401()
    {
        var silo = _silo!;
        var tokens = new Dictionary<string, string>
        {
            ["expired"] = Token("admin", expires: DateTime.UtcNow.AddMinutes(-5)),
            ["foreign key"] = Token("admin", Hmac("another-secret-that-is-longer-than-32-bytes")),
            ["wrong audience"] = Token("admin", audience: "someone-else"),
            ["no role"] = Token(null),
            ["unknown role"] = Token("root"),
            ["not a token"] = "not.a.token",
        };
        foreach (var (what, token) in tokens)
        {
            var reply = await Bearer(silo, token).Get("connectors");
            Assert.True(reply.Status == 401, $"{what}: {reply}");
            AssertError(reply, 401);
        }
        await Eventually.Until(() => Task.FromResult(silo.Log.Contains("REST login failed for user - from 127.0.0.1: invalid_token")),
            TimeSpan.FromSeconds(10), "the invalid token's warning line");
        Assert.DoesNotContain(tokens["foreign key"], silo.Log);
    }

    [Fact]
    public async Task An_ec_public_key_verifies_es256_tokens_and_a_short_secret_stops_the_start()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(_dir, "jwt-public.pem");
        await File.WriteAllTextAsync(keyFile, ec.ExportSubjectPublicKeyInfoPem());
        await using var silo = new SiloProcess(Path.Combine(_dir, "ec-silo"), broker.BootstrapServers, new Dictionary<string, string>
        {
            ["rest.auth.jwt.public.key.location"] = keyFile,
        });
        await silo.StartAsync();
        var signing = new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256);
        AssertStatus(await Bearer(silo, Token("viewer", signing)).Get("connectors"), 200);
        AssertError(await Bearer(silo, Token("viewer")).Get("connectors"), 401); // HMAC-signed: not this key

        await using var refused = new SiloProcess(Path.Combine(_dir, "short"), broker.BootstrapServers,
            new Dictionary<string, string> { ["rest.auth.jwt.secret"] = "too-short" });
        Assert.Equal(2, await refused.RunToExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("rest.auth.jwt.secret must be at least 32 bytes long", refused.Log);
        Assert.DoesNotContain("too-short", refused.Log);
    }
}
