using OrleansConnect.Grains.Config;
using OrleansConnect.Plugins.Jdbc;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>The JDBC connectors call a key unknown when neither they nor the framework define it; their list of the
/// framework's keys must keep up with the runtime's own definitions.</summary>
public sealed class JdbcConfigTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_framework_key_of_the_runtime_is_known_to_the_jdbc_connectors(bool sink)
    {
        var unknown = ConnectorConfig.ForType(sink).Keys.Select(k => k.Name).Where(k => !JdbcConfigs.IsFrameworkKey(k)).ToList();
        Assert.Empty(unknown);
    }
}
