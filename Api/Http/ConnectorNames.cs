using System.Globalization;
using OrleansConnect.Grains.Interfaces.Errors;

namespace OrleansConnect.Api.Http;

/// <summary>Which connector names a client can address afterwards: every endpoint but create takes the name from a
/// URL path segment, so a name that a path segment cannot carry back unchanged would make a connector nobody can
/// read, pause or delete. Refused at create (POST /connectors, PUT /connectors/{c}/config):
/// <list type="bullet">
/// <item><c>.</c> and <c>..</c>: clients and servers remove dot segments before routing (RFC 3986 §5.2.4);</item>
/// <item><c>/</c> and <c>\</c>: %2F and %5C are decoded, rejected or turned into separators by proxies and HTTP
/// stacks, so the name would not reach the server intact everywhere;</item>
/// <item>unpaired surrogates: no UTF-8 percent-encoding exists for them;</item>
/// <item>more than <see cref="MaxLength"/> characters (a Kafka topic name's limit; it keeps URLs and the
/// derived consumer group names within limits).</item>
/// </list>
/// Empty names and ISO control characters are refused by the config validation of <c>name</c>, as in Kafka.</summary>
internal static class ConnectorNames
{
    public const int MaxLength = 249;

    /// <summary>Throws 400 when <paramref name="name"/> cannot be addressed by a URL.</summary>
    public static void CheckAddressable(string name)
    {
        if (name is "." or "..")
            throw new BadRequestException($"Connector name '{name}' is not allowed: '.' and '..' are path segments a URL cannot carry as a name");
        if (name.Length > MaxLength)
            throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                $"Connector name is {name.Length} characters long; the limit is {MaxLength}"));
        var separator = name.IndexOfAny(['/', '\\']);
        if (separator >= 0)
            throw new BadRequestException($"Connector name '{name}' may not contain '{name[separator]}': a URL cannot carry it in a path segment");
        if (!IsWellFormed(name))
            throw new BadRequestException("Connector name contains an unpaired surrogate (U+D800-U+DFFF): a URL cannot carry it");
    }

    private static bool IsWellFormed(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) { i++; continue; }
            if (char.IsSurrogate(name[i])) return false;
        }
        return true;
    }
}
