using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class HostingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AddGrainRuntime_registers_the_silo_as_a_hosted_service_and_the_grain_factory()
    {
        var services = new ServiceCollection();
        services.AddGrainRuntime(o => TestSilo.Defaults(o, _dir.Path));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        Assert.Same(provider.GetRequiredService<Silo>(), hosted);
        Assert.Same(provider.GetRequiredService<IGrainFactory>(), provider.GetRequiredService<IGrainFactory>());

        await hosted.StartAsync(CancellationToken.None);
        Assert.True(provider.GetRequiredService<Silo>().IsRunning);
        var key = Guid.NewGuid().ToString("N");
        Assert.Equal(1, await provider.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>(key).Increment());
        await hosted.StopAsync(CancellationToken.None);
        Assert.Equal(DeactivationReasonCode.ShuttingDown, Assert.Single(Probe.For(key).Deactivations).Code);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "grains.db")));
    }

    [Theory]
    [InlineData("StorageProvider")]
    [InlineData("ServiceId")]
    [InlineData("CallTimeout")]
    [InlineData("ConnectionString")]
    public void Bad_options_are_refused_naming_the_option(string option)
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<ArgumentException>(() => services.AddGrainRuntime(o =>
        {
            TestSilo.Defaults(o, _dir.Path);
            switch (option)
            {
                case "StorageProvider": o.StorageProvider = "oracle"; break;
                case "ServiceId": o.ServiceId = " "; break;
                case "CallTimeout": o.CallTimeout = TimeSpan.Zero; break;
                case "ConnectionString": o.StorageProvider = GrainRuntimeOptions.PostgreSql; o.ConnectionString = ""; break;
            }
        }));
        Assert.Contains($"GrainRuntimeOptions.{option}", error.Message);
    }

    [Fact]
    public void AddGrainRuntime_twice_is_refused()
    {
        var services = new ServiceCollection();
        services.AddGrainRuntime(o => TestSilo.Defaults(o, _dir.Path));
        Assert.Throws<InvalidOperationException>(() => services.AddGrainRuntime(o => TestSilo.Defaults(o, _dir.Path)));
    }

    [Fact]
    public async Task An_explicit_sqlite_connection_string_is_used()
    {
        var file = Path.Combine(_dir.Path, "nested", "custom.db");
        await using var host = await TestSilo.StartAsync(_dir.Path, o => o.ConnectionString = $"Data Source={file}");
        await host.GrainFactory.GetGrain<IStateGrain>(Guid.NewGuid().ToString("N")).Set("n", 1, []);
        Assert.True(File.Exists(file));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "grains.db")));
    }
}
