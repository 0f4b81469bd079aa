using OrleansConnect.Connect.Config;
using OrleansConnect.Plugins.Jdbc;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>JDBC URLs as Java users write them, read into Npgsql connection strings.</summary>
public sealed class JdbcUrlTests
{
    [Fact]
    public void Host_port_database_and_credentials_from_the_url_win_over_connection_user_and_password()
    {
        var b = JdbcUrl.ToNpgsql("jdbc:postgresql://db.example:6543/sales?user=alice&password=s%26cret&ssl=true", "bob", "other");
        Assert.Equal("db.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("sales", b.Database);
        Assert.Equal("alice", b.Username);
        Assert.Equal("s&cret", b.Password);
        Assert.Equal(Npgsql.SslMode.VerifyFull, b.SslMode);
    }

    [Fact]
    public void Connection_user_and_password_apply_when_the_url_has_none()
    {
        var b = JdbcUrl.ToNpgsql("jdbc:postgresql://localhost/db", "bob", "pw");
        Assert.Equal("localhost", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Equal("bob", b.Username);
        Assert.Equal("pw", b.Password);
    }

    [Fact]
    public void Short_forms_several_hosts_ipv6_and_parameters_translate()
    {
        var local = JdbcUrl.ToNpgsql("jdbc:postgresql:inventory", null, null);
        Assert.Equal("localhost", local.Host);
        Assert.Equal("inventory", local.Database);

        var multi = JdbcUrl.ToNpgsql("jdbc:postgresql://a:5433,[::1]:5434,b/db?targetServerType=primary&currentSchema=app&sslmode=require&connectTimeout=7&ApplicationName=x&reWriteBatchedInserts=true", null, null);
        Assert.Equal("a:5433,[::1]:5434,b", multi.Host);
        Assert.Equal("primary", multi.TargetSessionAttributes);
        Assert.Equal("app", multi.SearchPath);
        Assert.Equal(Npgsql.SslMode.Require, multi.SslMode);
        Assert.Equal(7, multi.Timeout);
        Assert.Equal("x", multi.ApplicationName);
    }

    [Theory]
    [InlineData("jdbc:mysql://localhost/db", "Only PostgreSQL is supported")]
    [InlineData("jdbc:postgresql://localhost/db?sslfactory=x", "parameter 'sslfactory' is not supported")]
    [InlineData("jdbc:postgresql://localhost:abc/db", "invalid port 'abc'")]
    [InlineData("jdbc:postgresql://localhost/db?sslmode=sometimes", "unknown sslmode 'sometimes'")]
    public void Unsupported_urls_are_refused_by_name(string url, string message)
    {
        var e = Assert.Throws<ConfigException>(() => JdbcUrl.ToNpgsql(url, null, null));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Messages_never_show_the_password()
    {
        var e = Assert.Throws<ConfigException>(() => JdbcUrl.ToNpgsql("jdbc:mysql://h/db?user=u&password=topsecret", null, null));
        Assert.DoesNotContain("topsecret", e.Message);
        Assert.Equal("jdbc:postgresql://h/db?user=u&password=[hidden]", JdbcUrl.Redact("jdbc:postgresql://h/db?user=u&password=topsecret"));
    }
}
