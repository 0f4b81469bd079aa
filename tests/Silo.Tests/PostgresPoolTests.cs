using Npgsql;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>The pool cap on the providers' connection strings (storage.connection.pool.max). The cap measured on a real
/// server is in <see cref="StorageResilienceTests"/>.</summary>
public sealed class PostgresPoolTests
{
    [Fact]
    public void The_cap_is_added_when_the_string_names_none_and_gives_the_same_text_for_the_same_input()
    {
        var given = "Host=db;Port=5432;Database=connect;Username=connect;Password=secret";
        var capped = PostgresPool.WithCap(given, 10);
        Assert.Equal(10, new NpgsqlConnectionStringBuilder(capped).MaxPoolSize);
        Assert.Equal("secret", new NpgsqlConnectionStringBuilder(capped).Password);
        // Npgsql pools per connection string: storage, reminders and membership given one string share one pool.
        Assert.Equal(capped, PostgresPool.WithCap(given, 10));
        Assert.Equal(10, PostgresPool.EffectiveMax(given, 10));
    }

    [Theory]
    [InlineData("Maximum Pool Size=40")]
    [InlineData("MaxPoolSize=40")]
    [InlineData("maximum pool size=40")]
    public void An_explicit_maximum_in_the_connection_string_wins(string setting)
    {
        var capped = PostgresPool.WithCap($"Host=db;Username=u;{setting}", 10);
        Assert.Equal(40, new NpgsqlConnectionStringBuilder(capped).MaxPoolSize);
        Assert.Equal(40, PostgresPool.EffectiveMax($"Host=db;Username=u;{setting}", 10));
    }

    [Fact]
    public void Pooling_off_means_no_cap_and_is_reported_as_such()
    {
        Assert.Null(PostgresPool.EffectiveMax("Host=db;Username=u;Pooling=false", 10));
    }

    [Fact]
    public void A_string_Npgsql_cannot_parse_is_left_for_the_installer_to_name()
    {
        Assert.Equal("Host=db;Bogus Key=1", PostgresPool.WithCap("Host=db;Bogus Key=1", 10));
    }

    [Fact]
    public async Task A_minimum_pool_size_above_the_cap_stops_the_silo_at_start_with_one_line()
    {
        var storage = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            // Refused before any connection is tried, so no server is needed.
            ConnectionString = "Host=127.0.0.1;Port=1;Username=u;Password=secret;Minimum Pool Size=20",
            MaxPoolSize = 10,
        };
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestSilo.StartAsync(storage));
        var setup = StorageSetupException.Find(error);
        Assert.NotNull(setup);
        Assert.Equal("PostgreSQL storage: the connection string's Minimum Pool Size (20) is above storage.connection.pool.max (10).", setup.Message);
    }
}
