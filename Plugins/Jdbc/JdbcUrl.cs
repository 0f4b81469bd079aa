using System.Globalization;
using Npgsql;
using OrleansConnect.Connect.Config;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>Reads a PostgreSQL JDBC URL as Java users write it (jdbc:postgresql://host[:port][,host2[:port]]/db?k=v&amp;…)
/// into an Npgsql connection string. pgjdbc's parameters with an Npgsql counterpart are translated; the ones that only
/// tune pgjdbc itself are accepted and ignored; any other is refused by name, rather than silently dropped.</summary>
public static class JdbcUrl
{
    private const string Prefix = "jdbc:postgresql:";

    // pgjdbc performance switches that mean nothing to Npgsql: the sink batches and binds typed values by itself.
    private static readonly HashSet<string> IgnoredParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "reWriteBatchedInserts", "prepareThreshold", "preparedStatementCacheQueries", "preparedStatementCacheSizeMiB",
        "defaultRowFetchSize", "stringtype", "binaryTransfer", "loggerLevel", "loggerFile", "assumeMinServerVersion",
    };

    /// <summary>The Npgsql connection string for <paramref name="url"/>; <paramref name="user"/> and
    /// <paramref name="password"/> (connection.user/password) apply unless the URL names its own, as with pgjdbc, where
    /// URL parameters win over the driver properties.</summary>
    public static NpgsqlConnectionStringBuilder ToNpgsql(string url, string? user, string? password)
    {
        ArgumentNullException.ThrowIfNull(url);
        var trimmed = url.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"Only PostgreSQL is supported: connection.url must start with '{Prefix}', got '{Redact(trimmed)}'");
        var rest = trimmed[Prefix.Length..];
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        var builder = new NpgsqlConnectionStringBuilder { Port = 5432 };
        string database;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            rest = rest[2..];
            var slash = rest.IndexOf('/');
            var hostPart = slash < 0 ? rest : rest[..slash];
            database = slash < 0 ? "" : rest[(slash + 1)..];
            builder.Host = HostList(hostPart, url);
            // One host: its port goes to Port, as Npgsql reports a single host.
            if (!builder.Host.Contains(',') && builder.Host.LastIndexOf(':') is var colon and > 0 && !builder.Host.EndsWith(']'))
            {
                builder.Port = int.Parse(builder.Host[(colon + 1)..], CultureInfo.InvariantCulture);
                builder.Host = builder.Host[..colon];
            }
        }
        else
        {
            // jdbc:postgresql:database → localhost:5432
            database = rest;
            builder.Host = "localhost";
        }
        if (database.Length > 0) builder.Database = Uri.UnescapeDataString(database);
        if (!string.IsNullOrEmpty(user)) builder.Username = user;
        if (password is not null) builder.Password = password;

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            Apply(builder, key, value);
        }
        return builder;
    }

    /// <summary>host[:port] entries, comma-separated; IPv6 literals in brackets. Npgsql takes the same list form.</summary>
    private static string HostList(string hostPart, string url)
    {
        if (hostPart.Length == 0) return "localhost";
        var hosts = new List<string>();
        foreach (var entry in hostPart.Split(','))
        {
            var e = entry.Trim();
            string host;
            string? port = null;
            if (e.StartsWith('['))
            {
                var close = e.IndexOf(']');
                if (close < 0) throw new ConfigException($"connection.url has an unclosed IPv6 address: '{Redact(url)}'");
                host = e[..(close + 1)];
                if (close + 1 < e.Length && e[close + 1] == ':') port = e[(close + 2)..];
            }
            else
            {
                var colon = e.LastIndexOf(':');
                host = colon < 0 ? e : e[..colon];
                if (colon >= 0) port = e[(colon + 1)..];
            }
            if (host.Length == 0) host = "localhost";
            if (port is not null && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new ConfigException($"connection.url has an invalid port '{port}': '{Redact(url)}'");
            hosts.Add(port is null ? host : host + ":" + port);
        }
        return string.Join(",", hosts);
    }

    private static void Apply(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key)
        {
            case "user":
                builder.Username = value;
                break;
            case "password":
                builder.Password = value;
                break;
            case "ssl":
                // pgjdbc: ssl (or ssl=true) alone means verify-full; ssl=false means disable.
                builder.SslMode = value.Length == 0 || value.Equals("true", StringComparison.OrdinalIgnoreCase) ? SslMode.VerifyFull : SslMode.Disable;
                break;
            case "sslmode":
                builder.SslMode = value.ToLowerInvariant() switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new ConfigException($"connection.url has an unknown sslmode '{value}'"),
                };
                break;
            case "sslrootcert":
                builder.RootCertificate = value;
                break;
            case "sslcert":
                builder.SslCertificate = value;
                break;
            case "sslkey":
                builder.SslKey = value;
                break;
            case "sslpassword":
                builder.SslPassword = value;
                break;
            case "currentSchema":
                builder.SearchPath = value;
                break;
            case "ApplicationName":
            case "applicationName":
                builder.ApplicationName = value;
                break;
            case "connectTimeout":
            case "loginTimeout":
                builder.Timeout = Seconds(key, value);
                break;
            case "socketTimeout":
                builder.CommandTimeout = Seconds(key, value);
                break;
            case "tcpKeepAlive":
                builder.TcpKeepAlive = value.Equals("true", StringComparison.OrdinalIgnoreCase);
                break;
            case "targetServerType":
                builder.TargetSessionAttributes = value switch
                {
                    "any" => "any",
                    "primary" or "master" => "primary",
                    "secondary" or "slave" => "standby",
                    "preferSecondary" or "preferSlave" => "prefer-standby",
                    "preferPrimary" => "prefer-primary",
                    _ => throw new ConfigException($"connection.url has an unknown targetServerType '{value}'"),
                };
                break;
            case "options":
                builder.Options = value;
                break;
            default:
                if (!IgnoredParameters.Contains(key))
                    throw new ConfigException($"connection.url parameter '{key}' is not supported here (it has no Npgsql counterpart this connector knows)");
                break;
        }
    }

    private static int Seconds(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? s
            : throw new ConfigException($"connection.url parameter '{key}' must be a whole number of seconds, got '{value}'");

    /// <summary>The URL with its password parameter hidden, for messages.</summary>
    public static string Redact(string url)
    {
        var q = url.IndexOf('?');
        if (q < 0) return url;
        var pairs = url[(q + 1)..].Split('&').Select(p =>
            p.StartsWith("password=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("sslpassword=", StringComparison.OrdinalIgnoreCase)
                ? p[..(p.IndexOf('=') + 1)] + Password.Hidden
                : p);
        return url[..(q + 1)] + string.Join("&", pairs);
    }
}
