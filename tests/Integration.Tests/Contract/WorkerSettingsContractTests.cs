using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Worker settings the contract names: 403 when topic.tracking.enable=false (both topic endpoints) or
/// topic.tracking.allow.reset=false (reset) (§4.7), and no /admin/loggers with an empty admin.listeners (§1).</summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerSettingsContractTests(
    TestBroker broker, WorkerSettingsContractTests.TrackingOff off, WorkerSettingsContractTests.ResetOff resetOff)
    : IClassFixture<WorkerSettingsContractTests.TrackingOff>, IClassFixture<WorkerSettingsContractTests.ResetOff>, IAsyncLifetime
{
    public sealed class TrackingOff : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
        {
            ["topic.tracking.enable"] = "false", ["admin.listeners"] = "",
        };
    }

    public sealed class ResetOff : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["topic.tracking.allow.reset"] = "false" };
    }

    public Task InitializeAsync() => Task.WhenAll(off.StartAsync(broker), resetOff.StartAsync(broker));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Disabled_tracking_is_403_for_both_endpoints()
    {
        var name = Unique("any");
        AssertError(await off.Client.Get(ConnectorPath(name, "topics")), 403, "Topic tracking is disabled.");
        AssertError(await off.Client.Put(ConnectorPath(name, "topics/reset")), 403, "Topic tracking is disabled.");
    }

    [Fact]
    public async Task Disabled_reset_is_403_while_reading_still_works()
    {
        var name = Unique("any");
        AssertStatus(await resetOff.Client.Get(ConnectorPath(name, "topics")), 200);
        AssertError(await resetOff.Client.Put(ConnectorPath(name, "topics/reset")), 403, "Topic tracking reset is disabled.");
    }

    [Fact]
    public async Task An_empty_admin_listeners_removes_the_admin_endpoints()
    {
        AssertError(await off.Client.Get("admin/loggers"), 404, "HTTP 404 Not Found");
        AssertError(await off.Client.Put("admin/loggers/root", """{"level":"INFO"}"""), 404, "HTTP 404 Not Found");
        AssertStatus(await resetOff.Client.Get("admin/loggers"), 200);
    }
}
