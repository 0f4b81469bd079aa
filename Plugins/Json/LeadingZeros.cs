namespace OrleansConnect.Plugins.Json;

/// <summary>
/// Rewrites numbers with leading zeros (000123, -007) outside strings, which Kafka's parser accepts and
/// System.Text.Json rejects. Used only after a parse has failed.
/// </summary>
internal static class LeadingZeros
{
    public static bool TryStrip(byte[] json, out byte[] result)
    {
        var output = new List<byte>(json.Length);
        var changed = false;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                output.Add(c);
                if (c == '\\' && i + 1 < json.Length) output.Add(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            // A number starts at a digit or '-' not preceded by another number character.
            if ((c == '-' || c is >= (byte)'0' and <= (byte)'9') && (i == 0 || !IsNumberChar(json[i - 1])))
            {
                if (c == '-')
                {
                    output.Add(c);
                    i++;
                    if (i >= json.Length) break;
                }
                while (i + 1 < json.Length && json[i] == '0' && json[i + 1] is >= (byte)'0' and <= (byte)'9')
                {
                    i++;
                    changed = true;
                }
                output.Add(json[i]);
                continue;
            }
            output.Add(c);
        }
        result = changed ? output.ToArray() : json;
        return changed;
    }

    private static bool IsNumberChar(byte c) =>
        c is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-';
}
