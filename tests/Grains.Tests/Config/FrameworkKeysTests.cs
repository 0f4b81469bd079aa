using OrleansConnect.Connect.Connector;
using OrleansConnect.Grains.Config;

namespace OrleansConnect.Tests.Config;

/// <summary>Connectors that refuse keys they do not define (the JDBC and PostgreSQL ones) ask the SDK's
/// <see cref="FrameworkKeys"/> which keys are the framework's; that list must keep up with the runtime's definitions.</summary>
public sealed class FrameworkKeysTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_framework_key_of_the_runtime_is_a_framework_key_to_the_sdk(bool sink)
    {
        var unknown = ConnectorConfig.ForType(sink).Keys.Select(k => k.Name).Where(k => !FrameworkKeys.Contains(k)).ToList();
        Assert.Empty(unknown);
    }
}
