using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

public sealed class PostgresClusteringTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Two_silos_on_PostgreSQL_clustering_see_each_other_and_share_grain_state()
    {
        var storage = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = await Databases.NewPostgresDatabaseAsync(server),
            Parts = StorageParts.All,
        };
        await using var first = await TestSilo.StartAsync(storage, clusterId: "two-silos");
        await using var second = await TestSilo.StartAsync(storage, clusterId: "two-silos");

        foreach (var silo in new[] { first, second })
        {
            var membership = silo.Host.Services.GetRequiredService<IClusterMembershipService>();
            await Eventually.Until(
                () => Task.FromResult(membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active)),
                active => active == 2, TimeSpan.FromSeconds(60), active => $"2 active silos in the snapshot, saw {active}");
        }

        var rows = await Databases.QueryAsync(true, storage.ConnectionString,
            "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = 'two-silos' AND Status = 3");
        Assert.Equal(2L, Convert.ToInt64(rows[0][0]));

        // A grain written through one silo reads the same through the other (one activation, one row).
        await first.Grains.GetGrain<INoteGrain>("shared").Set("from the first silo");
        Assert.Equal("from the first silo", (await second.Grains.GetGrain<INoteGrain>("shared").Get()).Text);
    }
}
