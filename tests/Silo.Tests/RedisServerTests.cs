using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>The shared RedisServer fixture (for the cluster tests to come) starts, answers and goes away.</summary>
public sealed class RedisServerTests
{
    [Fact]
    public async Task The_throwaway_redis_server_answers_PING_and_is_gone_after_dispose()
    {
        var server = new RedisServer();
        await server.InitializeAsync();
        try
        {
            Assert.True(await server.PingAsync());
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.False(await server.PingAsync());
    }
}
