using System.Text;

namespace OrleansConnect.Connect.Config;

/// <summary>Reads Java .properties files as Kafka's tools do: key=value, key:value or key value; '#' and '!'
/// comments; a trailing backslash continues a line; \t \n \r \f \uXXXX and \x escapes.</summary>
public static class PropertiesFile
{
    public static Dictionary<string, string> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Properties file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path));
    }

    public static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!') continue;
            var logical = new StringBuilder();
            while (EndsWithContinuation(line) && i + 1 < lines.Length)
            {
                logical.Append(line, 0, line.Length - 1);
                line = lines[++i].TrimStart(' ', '\t', '\f');
            }
            logical.Append(line);
            var (key, value) = Split(logical.ToString());
            result[Unescape(key)] = Unescape(value);
        }
        return result;
    }

    private static bool EndsWithContinuation(string line)
    {
        var backslashes = 0;
        for (var j = line.Length - 1; j >= 0 && line[j] == '\\'; j--) backslashes++;
        return backslashes % 2 == 1;
    }

    private static (string Key, string Value) Split(string line)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == '\\') { i += 2; continue; }
            if (c is '=' or ':' or ' ' or '\t' or '\f') break;
            i++;
        }
        var key = line[..Math.Min(i, line.Length)];
        var rest = i < line.Length ? line[i..] : "";
        rest = rest.TrimStart(' ', '\t', '\f');
        if (rest.Length > 0 && rest[0] is '=' or ':') rest = rest[1..].TrimStart(' ', '\t', '\f');
        return (key, rest);
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length) { sb.Append(c); continue; }
            var n = s[++i];
            switch (n)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length && ushort.TryParse(s.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out var code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(n); break;
            }
        }
        return sb.ToString();
    }
}
