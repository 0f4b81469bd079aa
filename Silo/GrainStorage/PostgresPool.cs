using System.Data.Common;
using Npgsql;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>The cap on a silo's PostgreSQL connections. Npgsql keeps one pool per distinct connection string and opens up
/// to its Maximum Pool Size (100 by default) in each, so three silos could take PostgreSQL's whole default
/// max_connections (100) between them. The providers therefore get their connection string with Maximum Pool Size set
/// to <see cref="ConnectStorageOptions.MaxPoolSize"/>, unless the string names one itself: the more specific setting wins,
/// as a connector's client override wins over the worker's.</summary>
public static class PostgresPool
{
    // The spellings Npgsql accepts for the key (it refuses "Max Pool Size").
    private static readonly string[] MaxPoolSizeKeys = ["Maximum Pool Size", "MaxPoolSize"];

    /// <summary>The connection string the providers use: <paramref name="connectionString"/> with Maximum Pool Size set to
    /// <paramref name="maxPoolSize"/> when it names none. The result is the same text for the same input, so providers
    /// given the same string share one pool. A string Npgsql cannot parse comes back unchanged: the installer reports it
    /// at start in its own words.</summary>
    public static string WithCap(string connectionString, int maxPoolSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoolSize, 1);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return connectionString;
        }
        if (!NamesMaxPoolSize(connectionString)) builder.MaxPoolSize = maxPoolSize;
        return builder.ConnectionString;
    }

    /// <summary>What the providers' pool allows, for the start-up log line and the checks: the effective Maximum Pool
    /// Size, or null when the string turns pooling off (then every operation opens a connection of its own).</summary>
    public static int? EffectiveMax(string connectionString, int maxPoolSize)
    {
        var builder = new NpgsqlConnectionStringBuilder(WithCap(connectionString, maxPoolSize));
        return builder.Pooling ? builder.MaxPoolSize : null;
    }

    /// <summary>Refuses a pool that cannot work: a Minimum Pool Size above the cap would make Npgsql fail every open.
    /// Called by the installer, so the silo stops at start with one line instead of failing each operation later.</summary>
    public static void Check(string connectionString, int maxPoolSize)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(WithCap(connectionString, maxPoolSize));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return; // The installer names a malformed string itself.
        }
        if (builder.Pooling && builder.MinPoolSize > builder.MaxPoolSize)
        {
            var source = NamesMaxPoolSize(connectionString) ? "the connection string's Maximum Pool Size" : "storage.connection.pool.max";
            throw new StorageSetupException(
                $"PostgreSQL storage: the connection string's Minimum Pool Size ({builder.MinPoolSize}) is above {source} ({builder.MaxPoolSize}).");
        }
    }

    private static bool NamesMaxPoolSize(string connectionString)
    {
        // The plain builder keeps only the keys the string names (Npgsql's reports every known key).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return MaxPoolSizeKeys.Any(given.ContainsKey);
    }
}
