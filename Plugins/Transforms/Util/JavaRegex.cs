using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>
/// A Java (java.util.regex) pattern run on .NET. The pattern is translated where the dialects differ: groups are
/// numbered left to right as in Java (named groups too), \d \w \s and POSIX classes are ASCII-only, \Q..\E quotes,
/// \h \v \R \x{..} have Java's meaning, and a '{' that is not a quantifier is an error. Java features .NET cannot
/// express (possessive quantifiers, class intersections and nested classes) are rejected with a clear message.
/// <see cref="Matches"/> is Java's matches() (the whole input); <see cref="ReplaceFirst"/> expands Java's
/// replacement syntax ($n, ${name}, \x escapes).
/// </summary>
public sealed class JavaRegex
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(5);

    private readonly Regex _find;
    private readonly Regex _full;
    private readonly Dictionary<string, int> _groupNames;

    private JavaRegex(string pattern, string translated, int groupCount, Dictionary<string, int> groupNames)
    {
        Pattern = pattern;
        TranslatedPattern = translated;
        GroupCount = groupCount;
        _groupNames = groupNames;
        const RegexOptions options = RegexOptions.CultureInvariant;
        _find = new Regex(translated, options, MatchTimeout);
        _full = new Regex(@"\A(?:" + translated + @")\z", options, MatchTimeout);
    }

    /// <summary>The Java pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>The equivalent .NET pattern.</summary>
    public string TranslatedPattern { get; }

    public int GroupCount { get; }

    public override string ToString() => Pattern;

    /// <summary>Compiles a Java pattern; throws ArgumentException describing the syntax error.</summary>
    public static JavaRegex Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var (translated, groupCount, names) = new Translator(pattern).Translate();
        try
        {
            return new JavaRegex(pattern, translated, groupCount, names);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.Replace(translated, pattern, StringComparison.Ordinal), e);
        }
    }

    /// <summary>Java's Matcher.matches(): the whole input matches.</summary>
    public bool Matches(string input) => _full.IsMatch(input);

    /// <summary>Java's Matcher.replaceFirst: the first match found is replaced by the expanded replacement.</summary>
    public string ReplaceFirst(string input, string replacement)
    {
        var match = _find.Match(input);
        if (!match.Success) return input;
        return string.Concat(input.AsSpan(0, match.Index), Expand(match, replacement), input.AsSpan(match.Index + match.Length));
    }

    /// <summary>Validates a Java replacement string against this pattern's groups (what expansion would throw).</summary>
    public void ValidateReplacement(string replacement) => ExpandCore(null, replacement);

    private string Expand(Match match, string replacement) => ExpandCore(match, replacement);

    private string ExpandCore(Match? match, string replacement)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < replacement.Length)
        {
            var c = replacement[i];
            if (c == '\\')
            {
                i++;
                if (i >= replacement.Length) throw new ArgumentException("character to be escaped is missing");
                sb.Append(replacement[i]);
                i++;
            }
            else if (c == '$')
            {
                i++;
                if (i >= replacement.Length) throw new ArgumentException("Illegal group reference: group index is missing");
                int group;
                if (replacement[i] == '{')
                {
                    i++;
                    var start = i;
                    while (i < replacement.Length && (char.IsAsciiLetterOrDigit(replacement[i])))
                    {
                        i++;
                    }
                    if (i == start) throw new ArgumentException("named capturing group has 0 length name");
                    if (i >= replacement.Length || replacement[i] != '}') throw new ArgumentException("named capturing group is missing trailing '}'");
                    var name = replacement[start..i];
                    i++;
                    if (char.IsAsciiDigit(name[0])) throw new ArgumentException("capturing group name {" + name + "} starts with digit character");
                    if (!_groupNames.TryGetValue(name, out group)) throw new ArgumentException("No group with name {" + name + "}");
                }
                else
                {
                    if (!char.IsAsciiDigit(replacement[i])) throw new ArgumentException("Illegal group reference");
                    group = replacement[i] - '0';
                    if (group > GroupCount) throw new IndexOutOfRangeException("No group " + group);
                    i++;
                    // Java takes further digits while the number stays a valid group.
                    while (i < replacement.Length && char.IsAsciiDigit(replacement[i]))
                    {
                        var next = group * 10 + (replacement[i] - '0');
                        if (next > GroupCount) break;
                        group = next;
                        i++;
                    }
                }
                if (match is not null)
                {
                    var g = match.Groups[group];
                    if (g.Success) sb.Append(g.Value);
                }
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>Rewrites a Java pattern as a .NET one, numbering groups as Java does.</summary>
    private sealed class Translator(string pattern)
    {
        private readonly StringBuilder _out = new();
        private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
        private int _groups;
        private int _pos;
        // Whether the previous output item can take a quantifier.
        private bool _canQuantify;

        public (string, int, Dictionary<string, int>) Translate()
        {
            // First pass: group numbers of named groups (back references may precede nothing, but \k needs them).
            PreScanGroups();
            _groups = 0;
            while (_pos < pattern.Length) TranslateOne();
            return (_out.ToString(), _groups, _names);
        }

        private Exception Error(string description, int index) =>
            new ArgumentException($"{description} near index {index}{Environment.NewLine}{pattern}");

        private void PreScanGroups()
        {
            var inClass = false;
            var count = 0;
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                if (c == '\\')
                {
                    if (i + 1 < pattern.Length && pattern[i + 1] == 'Q')
                    {
                        var end = pattern.IndexOf("\\E", i + 2, StringComparison.Ordinal);
                        i = end < 0 ? pattern.Length : end + 1;
                        continue;
                    }
                    i++;
                    continue;
                }
                if (inClass)
                {
                    if (c == ']') inClass = false;
                    continue;
                }
                if (c == '[')
                {
                    inClass = true;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^') i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']') i++;
                    continue;
                }
                if (c != '(') continue;
                if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                {
                    if (i + 2 < pattern.Length && pattern[i + 2] == '<' && i + 3 < pattern.Length && pattern[i + 3] is not ('=' or '!'))
                    {
                        var end = pattern.IndexOf('>', i + 3);
                        if (end < 0) continue;
                        count++;
                        _names.TryAdd(pattern[(i + 3)..end], count);
                    }
                    continue;
                }
                count++;
            }
        }

        private void TranslateOne()
        {
            var c = pattern[_pos];
            switch (c)
            {
                case '\\':
                    TranslateEscape(inClass: false);
                    _canQuantify = true;
                    return;
                case '[':
                    TranslateClass();
                    _canQuantify = true;
                    return;
                case '(':
                    TranslateGroupOpen();
                    _canQuantify = false;
                    return;
                case ')':
                    _out.Append(')');
                    _pos++;
                    _canQuantify = true;
                    return;
                case '*' or '+' or '?':
                    if (!_canQuantify) throw Error($"Dangling meta character '{c}'", _pos);
                    _out.Append(c);
                    _pos++;
                    AfterQuantifier();
                    return;
                case '{':
                    TranslateBraces();
                    return;
                case '|':
                    _out.Append('|');
                    _pos++;
                    _canQuantify = false;
                    return;
                case '^' or '$':
                    _out.Append(c);
                    _pos++;
                    _canQuantify = false;
                    return;
                case ']' or '}':
                    _out.Append('\\').Append(c);
                    _pos++;
                    _canQuantify = true;
                    return;
                default:
                    _out.Append(c);
                    _pos++;
                    _canQuantify = true;
                    return;
            }
        }

        private void AfterQuantifier()
        {
            if (_pos < pattern.Length && pattern[_pos] == '?')
            {
                _out.Append('?');
                _pos++;
            }
            else if (_pos < pattern.Length && pattern[_pos] == '+')
            {
                throw Error("Possessive quantifiers are not supported", _pos);
            }
            _canQuantify = false;
        }

        private void TranslateBraces()
        {
            var start = _pos;
            var end = pattern.IndexOf('}', _pos);
            var body = end < 0 ? null : pattern[(_pos + 1)..end];
            if (body is null || !IsQuantifierBody(body) || !_canQuantify) throw Error("Illegal repetition", start);
            _out.Append('{').Append(body).Append('}');
            _pos = end + 1;
            AfterQuantifier();
        }

        private static bool IsQuantifierBody(string body)
        {
            var comma = body.IndexOf(',');
            var min = comma < 0 ? body : body[..comma];
            if (min.Length == 0 || !min.All(char.IsAsciiDigit)) return false;
            if (comma < 0) return true;
            var max = body[(comma + 1)..];
            return max.All(char.IsAsciiDigit);
        }

        private void TranslateGroupOpen()
        {
            var start = _pos;
            _pos++;
            if (_pos < pattern.Length && pattern[_pos] == '?')
            {
                _pos++;
                if (_pos >= pattern.Length) throw Error("Unknown inline modifier", _pos);
                var c = pattern[_pos];
                if (c == '<' && _pos + 1 < pattern.Length && pattern[_pos + 1] is not ('=' or '!'))
                {
                    // Named group: emitted unnamed so .NET numbers it in Java's order.
                    var end = pattern.IndexOf('>', _pos);
                    if (end < 0) throw Error("named capturing group is missing trailing '>'", _pos);
                    var name = pattern[(_pos + 1)..end];
                    if (name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit))
                        throw Error("capturing group name does not start with a Latin letter", _pos);
                    _groups++;
                    _out.Append('(');
                    _pos = end + 1;
                    return;
                }
                if (c is ':' or '=' or '!' or '>')
                {
                    _out.Append("(?").Append(c);
                    _pos++;
                    return;
                }
                if (c == '<')
                {
                    _out.Append("(?<").Append(pattern[_pos + 1]);
                    _pos += 2;
                    return;
                }
                // Inline flags (?idmsux-idmsux) or (?flags:...): .NET knows i m s x n; Java's u, d, U are dropped.
                var flags = new StringBuilder();
                while (_pos < pattern.Length && pattern[_pos] is not (')' or ':'))
                {
                    var f = pattern[_pos];
                    if (f is 'i' or 'm' or 's' or 'x' or '-') flags.Append(f);
                    else if (f is not ('u' or 'd' or 'U')) throw Error("Unknown inline modifier", _pos);
                    _pos++;
                }
                if (_pos >= pattern.Length) throw Error("Unknown inline modifier", start);
                var close = pattern[_pos];
                _pos++;
                var flagText = flags.ToString().TrimEnd('-');
                if (close == ')')
                {
                    if (flagText.Length > 0) _out.Append("(?").Append(flagText).Append(')');
                    return;
                }
                _out.Append("(?").Append(flagText).Append(':');
                return;
            }
            _groups++;
            _out.Append('(');
        }

        private void TranslateClass()
        {
            var start = _pos;
            _out.Append('[');
            _pos++;
            if (_pos < pattern.Length && pattern[_pos] == '^')
            {
                _out.Append('^');
                _pos++;
            }
            var first = true;
            while (true)
            {
                if (_pos >= pattern.Length) throw Error("Unclosed character class", pattern.Length - 1);
                var c = pattern[_pos];
                if (c == ']' && !first)
                {
                    _out.Append(']');
                    _pos++;
                    return;
                }
                first = false;
                switch (c)
                {
                    case '\\':
                        TranslateEscape(inClass: true);
                        break;
                    case '[':
                        throw Error("Nested character classes are not supported", _pos);
                    case '&' when _pos + 1 < pattern.Length && pattern[_pos + 1] == '&':
                        throw Error("Character class intersections are not supported", _pos);
                    case ']':
                        // A ']' right after '[' is a literal in Java.
                        _out.Append("\\]");
                        _pos++;
                        break;
                    case '-' when _pos + 1 < pattern.Length && pattern[_pos + 1] == '[':
                        throw Error("Nested character classes are not supported", _pos);
                    default:
                        _out.Append(c);
                        _pos++;
                        break;
                }
            }
        }

        private void TranslateEscape(bool inClass)
        {
            var start = _pos;
            _pos++;
            if (_pos >= pattern.Length) throw Error("Unexpected internal error", start);
            var c = pattern[_pos];
            _pos++;
            switch (c)
            {
                case 'd': Emit(inClass, "0-9", "[0-9]"); return;
                case 'D': EmitNegated(inClass, "0-9"); return;
                case 'w': Emit(inClass, "a-zA-Z_0-9", "[a-zA-Z_0-9]"); return;
                case 'W': EmitNegated(inClass, "a-zA-Z_0-9"); return;
                case 's': Emit(inClass, @" \t\n\x0B\f\r", @"[ \t\n\x0B\f\r]"); return;
                case 'S': EmitNegated(inClass, @" \t\n\x0B\f\r"); return;
                case 'h': Emit(inClass, @" \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000", @"[ \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]"); return;
                case 'H': EmitNegated(inClass, @" \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"); return;
                case 'v': Emit(inClass, @"\n\x0B\f\r\x85\u2028\u2029", @"[\n\x0B\f\r\x85\u2028\u2029]"); return;
                case 'V': EmitNegated(inClass, @"\n\x0B\f\r\x85\u2028\u2029"); return;
                case 'R':
                    if (inClass) throw Error("Illegal/unsupported escape sequence", start + 1);
                    _out.Append(@"(?:\r\n|[\n\x0B\f\r\x85\u2028\u2029])");
                    return;
                case 'Q':
                    var end = pattern.IndexOf("\\E", _pos, StringComparison.Ordinal);
                    var quoted = end < 0 ? pattern[_pos..] : pattern[_pos..end];
                    _pos = end < 0 ? pattern.Length : end + 2;
                    if (inClass)
                    {
                        foreach (var q in quoted) _out.Append(EscapeForClass(q));
                    }
                    else
                    {
                        // Wrapped so a following quantifier applies to the last char only, as in Java.
                        if (quoted.Length > 0)
                        {
                            _out.Append(Regex.Escape(quoted[..^1]));
                            _out.Append("(?:").Append(Regex.Escape(quoted[^1..])).Append(')');
                        }
                    }
                    return;
                case 'E':
                    return; // a stray \E is ignored by Java
                case 'x':
                    if (_pos < pattern.Length && pattern[_pos] == '{')
                    {
                        var close = pattern.IndexOf('}', _pos);
                        if (close < 0) throw Error("Unclosed hexadecimal escape sequence", _pos);
                        var hex = pattern[(_pos + 1)..close];
                        if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) || code > 0x10FFFF)
                            throw Error("Illegal hexadecimal escape sequence", _pos);
                        _pos = close + 1;
                        var text = char.ConvertFromUtf32(code);
                        if (text.Length == 1) _out.Append(@"\u").Append(code.ToString("X4", CultureInfo.InvariantCulture));
                        else if (inClass) throw Error("Supplementary characters in classes are not supported", start);
                        else _out.Append("(?:").Append(Regex.Escape(text)).Append(')');
                        return;
                    }
                    _out.Append("\\x");
                    return;
                case 'p' or 'P':
                    TranslateProperty(c == 'P', inClass, start);
                    return;
                case 'k':
                    if (_pos < pattern.Length && pattern[_pos] == '<')
                    {
                        var gt = pattern.IndexOf('>', _pos);
                        if (gt < 0) throw Error("named capturing group is missing trailing '>'", _pos);
                        var name = pattern[(_pos + 1)..gt];
                        if (!_names.TryGetValue(name, out var number)) throw Error($"named capturing group <{name}> does not exist", _pos);
                        _pos = gt + 1;
                        _out.Append('\\').Append(number.ToString(CultureInfo.InvariantCulture));
                        return;
                    }
                    throw Error("\\k is not followed by '<' for named capturing group", _pos);
                case 'z' or 'Z' or 'A' or 'G' or 'b' or 'B':
                    if (inClass && c != 'b') throw Error("Illegal/unsupported escape sequence", start + 1);
                    _out.Append('\\').Append(c);
                    return;
                case 't' or 'n' or 'r' or 'f' or 'a' or 'e':
                    _out.Append('\\').Append(c);
                    return;
                case 'c':
                    if (_pos >= pattern.Length) throw Error("Illegal control escape sequence", _pos);
                    _out.Append("\\c").Append(pattern[_pos]);
                    _pos++;
                    return;
                case 'u':
                    _out.Append("\\u");
                    return;
                case '0':
                    // Java: \0 followed by 1-3 octal digits.
                    var digits = 0;
                    var value = 0;
                    while (digits < 3 && _pos < pattern.Length && pattern[_pos] is >= '0' and <= '7' && value * 8 + (pattern[_pos] - '0') <= 0xFF)
                    {
                        value = value * 8 + (pattern[_pos] - '0');
                        _pos++;
                        digits++;
                    }
                    if (digits == 0) throw Error("Illegal octal escape sequence", _pos);
                    _out.Append(@"\u").Append(value.ToString("X4", CultureInfo.InvariantCulture));
                    return;
            }
            if (char.IsAsciiDigit(c))
            {
                if (inClass) throw Error("Illegal/unsupported escape sequence", start + 1);
                // Back reference: Java takes more digits while they name an existing group.
                var number = c - '0';
                while (_pos < pattern.Length && char.IsAsciiDigit(pattern[_pos]) && number * 10 + (pattern[_pos] - '0') <= _groups)
                {
                    number = number * 10 + (pattern[_pos] - '0');
                    _pos++;
                }
                _out.Append("(?:\\").Append(number.ToString(CultureInfo.InvariantCulture)).Append(')');
                return;
            }
            if (char.IsAsciiLetter(c)) throw Error("Illegal/unsupported escape sequence", start + 1);
            // Any other escaped char is itself.
            _out.Append(inClass ? EscapeForClass(c) : Regex.Escape(c.ToString()));
        }

        private void Emit(bool inClass, string classBody, string standalone) =>
            _out.Append(inClass ? classBody : standalone);

        private void EmitNegated(bool inClass, string classBody)
        {
            if (inClass) throw Error("Negated shorthand classes inside a character class are not supported", _pos - 2);
            _out.Append("[^").Append(classBody).Append(']');
        }

        private static string EscapeForClass(char c) => c switch
        {
            '\\' or ']' or '[' or '^' or '-' => "\\" + c,
            _ => c.ToString(),
        };

        private void TranslateProperty(bool negated, bool inClass, int start)
        {
            string name;
            if (_pos < pattern.Length && pattern[_pos] == '{')
            {
                var close = pattern.IndexOf('}', _pos);
                if (close < 0) throw Error("Unclosed character family", _pos);
                name = pattern[(_pos + 1)..close];
                _pos = close + 1;
            }
            else
            {
                if (_pos >= pattern.Length) throw Error("Illegal character family", _pos);
                name = pattern[_pos].ToString();
                _pos++;
            }
            var posix = name switch
            {
                "Lower" => "a-z",
                "Upper" => "A-Z",
                "ASCII" => @"\x00-\x7F",
                "Alpha" => "a-zA-Z",
                "Digit" => "0-9",
                "Alnum" => "a-zA-Z0-9",
                "Punct" => @"!-/:-@\[-`{-~",
                "Graph" => @"!-~",
                "Print" => @" -~",
                "Blank" => @" \t",
                "Cntrl" => @"\x00-\x1F\x7F",
                "XDigit" => "0-9a-fA-F",
                "Space" => @" \t\n\x0B\f\r",
                _ => null,
            };
            if (posix is not null)
            {
                if (!negated) _out.Append(inClass ? posix : "[" + posix + "]");
                else if (inClass) throw Error("Negated POSIX classes inside a character class are not supported", start);
                else _out.Append("[^").Append(posix).Append(']');
                return;
            }
            // Unicode categories and blocks: Java's "IsL"/"InGreek"/"L" forms map onto .NET's "L"/"IsGreek".
            var netName = name;
            if (name.StartsWith("Is", StringComparison.Ordinal) && name.Length > 2) netName = name[2..];
            else if (name.StartsWith("In", StringComparison.Ordinal) && name.Length > 2) netName = "Is" + name[2..];
            _out.Append('\\').Append(negated ? 'P' : 'p').Append('{').Append(netName).Append('}');
        }
    }
}
