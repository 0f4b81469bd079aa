using System.Globalization;
using System.Text;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>
/// Java's SimpleDateFormat (US locale, Gregorian, always UTC), which Kafka's TimestampConverter, TimestampRouter and
/// Values use. Formatting supports every pattern letter Java knows; parsing is lenient like Java's: out-of-range
/// fields roll over (month 13 is January of the next year), spaces before a field are skipped and trailing text is
/// ignored. Instances are immutable and thread-safe.
/// </summary>
public sealed class JavaDateFormat
{
    private const string PatternLetters = "GyMdkHmsSEDFwWahKzZYuXL";
    private const long MillisPerDay = 86_400_000L;

    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] ShortMonthNames =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] DayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] ShortDayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    // Two-digit years resolve into the century starting 80 years before now (as Java does).
    private static readonly int DefaultCenturyStartYear = DateTime.UtcNow.Year - 80;

    private readonly Element[] _elements;

    /// <summary>Compiles <paramref name="pattern"/>; throws ArgumentException with Java's message for a bad pattern.</summary>
    public JavaDateFormat(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        _elements = Compile(pattern);
    }

    public string Pattern { get; }

    public override string ToString() => Pattern;

    private readonly record struct Element(char Letter, int Count, string? Literal)
    {
        public bool IsLiteral => Literal is not null;

        public bool IsNumeric => !IsLiteral && Letter switch
        {
            'G' or 'E' or 'a' or 'z' or 'Z' or 'X' => false,
            'M' or 'L' => Count <= 2,
            _ => true,
        };
    }

    private static Element[] Compile(string pattern)
    {
        var elements = new List<Element>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '\'')
                {
                    literal.Append('\'');
                    i += 2;
                    continue;
                }
                var end = i + 1;
                var closed = false;
                while (end < pattern.Length)
                {
                    if (pattern[end] == '\'')
                    {
                        if (end + 1 < pattern.Length && pattern[end + 1] == '\'')
                        {
                            literal.Append('\'');
                            end += 2;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    literal.Append(pattern[end]);
                    end++;
                }
                if (!closed) throw new ArgumentException("Unterminated quote");
                i = end + 1;
                continue;
            }
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                if (!PatternLetters.Contains(c)) throw new ArgumentException($"Illegal pattern character '{c}'");
                var count = 1;
                while (i + count < pattern.Length && pattern[i + count] == c) count++;
                if (c == 'X' && count > 3) throw new ArgumentException($"invalid ISO 8601 format: length={count}");
                if (literal.Length > 0)
                {
                    elements.Add(new Element('\0', 0, literal.ToString()));
                    literal.Clear();
                }
                elements.Add(new Element(c, count, null));
                i += count;
                continue;
            }
            literal.Append(c);
            i++;
        }
        if (literal.Length > 0) elements.Add(new Element('\0', 0, literal.ToString()));
        return [.. elements];
    }

    // ---------------------------------------------------------------- formatting

    public string Format(OrleansConnect.Connect.Data.LogicalTime value) => Format(value.EpochMillis);

    public string Format(long epochMillis)
    {
        var days = FloorDiv(epochMillis, MillisPerDay);
        var millisOfDay = epochMillis - days * MillisPerDay;
        var (year, month, day) = CivilFromDays(days);
        var dayOfWeek = (int)FloorMod(days + 4, 7); // 1970-01-01 was a Thursday; 0 = Sunday
        var hour = (int)(millisOfDay / 3_600_000);
        var minute = (int)(millisOfDay / 60_000 % 60);
        var second = (int)(millisOfDay / 1000 % 60);
        var milli = (int)(millisOfDay % 1000);
        var sb = new StringBuilder();
        foreach (var e in _elements)
        {
            if (e.IsLiteral)
            {
                sb.Append(e.Literal);
                continue;
            }
            switch (e.Letter)
            {
                case 'G':
                    sb.Append(year > 0 ? "AD" : "BC");
                    break;
                case 'y':
                case 'Y':
                    var y = e.Letter == 'Y' ? WeekYear(year, month, day, days) : year;
                    if (y <= 0) y = 1 - y; // era-relative year
                    if (e.Count == 2) Pad(sb, y % 100, 2);
                    else Pad(sb, y, e.Count);
                    break;
                case 'M':
                case 'L':
                    if (e.Count >= 4) sb.Append(MonthNames[month - 1]);
                    else if (e.Count == 3) sb.Append(ShortMonthNames[month - 1]);
                    else Pad(sb, month, e.Count);
                    break;
                case 'w':
                    Pad(sb, WeekOfYear(year, days), e.Count);
                    break;
                case 'W':
                    var firstOfMonthDow = (int)FloorMod(days - (day - 1) + 4, 7);
                    Pad(sb, (day - 1 + firstOfMonthDow) / 7 + 1, e.Count);
                    break;
                case 'D':
                    Pad(sb, (int)(days - DaysFromCivil(year, 1, 1)) + 1, e.Count);
                    break;
                case 'd':
                    Pad(sb, day, e.Count);
                    break;
                case 'F':
                    Pad(sb, (day - 1) / 7 + 1, e.Count);
                    break;
                case 'E':
                    sb.Append(e.Count >= 4 ? DayNames[dayOfWeek] : ShortDayNames[dayOfWeek]);
                    break;
                case 'u':
                    Pad(sb, dayOfWeek == 0 ? 7 : dayOfWeek, e.Count);
                    break;
                case 'a':
                    sb.Append(hour < 12 ? "AM" : "PM");
                    break;
                case 'H':
                    Pad(sb, hour, e.Count);
                    break;
                case 'k':
                    Pad(sb, hour == 0 ? 24 : hour, e.Count);
                    break;
                case 'K':
                    Pad(sb, hour % 12, e.Count);
                    break;
                case 'h':
                    Pad(sb, hour % 12 == 0 ? 12 : hour % 12, e.Count);
                    break;
                case 'm':
                    Pad(sb, minute, e.Count);
                    break;
                case 's':
                    Pad(sb, second, e.Count);
                    break;
                case 'S':
                    Pad(sb, milli, e.Count);
                    break;
                case 'z':
                    sb.Append(e.Count >= 4 ? "Coordinated Universal Time" : "UTC");
                    break;
                case 'Z':
                    sb.Append("+0000");
                    break;
                case 'X':
                    sb.Append('Z');
                    break;
            }
        }
        return sb.ToString();
    }

    private static void Pad(StringBuilder sb, long value, int minDigits)
    {
        if (value < 0)
        {
            sb.Append('-');
            value = -value;
        }
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (text.Length < minDigits) sb.Append('0', minDigits - text.Length);
        sb.Append(text);
    }

    // US week rules: weeks start on Sunday and week 1 is the week holding January 1.
    private static int WeekOfYear(long year, long days)
    {
        var weekStart = days - FloorMod(days + 4, 7);
        var (endYear, _, _) = CivilFromDays(weekStart + 6);
        if (endYear > year) return 1;
        var jan1 = DaysFromCivil(year, 1, 1);
        var jan1Dow = FloorMod(jan1 + 4, 7);
        return (int)((days - jan1 + jan1Dow) / 7) + 1;
    }

    private static long WeekYear(long year, int month, int day, long days)
    {
        _ = month;
        _ = day;
        var weekStart = days - FloorMod(days + 4, 7);
        var (endYear, _, _) = CivilFromDays(weekStart + 6);
        return endYear > year ? endYear : year;
    }

    // ---------------------------------------------------------------- parsing

    /// <summary>Parses <paramref name="text"/> leniently into epoch millis (UTC); throws FormatException "Unparseable date: ...".</summary>
    public long Parse(string text) =>
        TryParse(text, out var millis) ? millis : throw new FormatException($"Unparseable date: \"{text}\"");

    public bool TryParse(string text, out long epochMillis)
    {
        ArgumentNullException.ThrowIfNull(text);
        epochMillis = 0;
        var f = new ParsedFields();
        var pos = 0;
        for (var i = 0; i < _elements.Length; i++)
        {
            var e = _elements[i];
            if (e.IsLiteral)
            {
                if (pos + e.Literal!.Length > text.Length || string.CompareOrdinal(text, pos, e.Literal, 0, e.Literal.Length) != 0) return false;
                pos += e.Literal.Length;
                continue;
            }
            // Java skips spaces and tabs before every field.
            while (pos < text.Length && text[pos] is ' ' or '\t') pos++;
            if (pos >= text.Length) return false;
            // A field directly followed by another field reads exactly Count characters (e.g. "yyyyMMdd").
            var obeyCount = i + 1 < _elements.Length && !_elements[i + 1].IsLiteral;
            if (!ParseField(text, ref pos, e, obeyCount, f)) return false;
        }
        return f.TryResolve(out epochMillis);
    }

    private static bool ParseField(string text, ref int pos, Element e, bool obeyCount, ParsedFields f)
    {
        if (e.IsNumeric)
        {
            var start = pos;
            var limit = obeyCount ? Math.Min(text.Length, pos + e.Count) : text.Length;
            if (!ParseInteger(text, ref pos, limit, out var value)) return false;
            var digits = pos - start;
            switch (e.Letter)
            {
                case 'y':
                case 'Y':
                    if (e.Count <= 2 && digits == 2 && char.IsAsciiDigit(text[start]) && char.IsAsciiDigit(text[start + 1]))
                    {
                        var century = DefaultCenturyStartYear / 100 * 100;
                        value += century + (value < DefaultCenturyStartYear % 100 ? 100 : 0);
                    }
                    f.Year = value;
                    break;
                case 'M':
                case 'L':
                    f.Month = value;
                    f.DayOfYear = null;
                    break;
                case 'd':
                    f.Day = value;
                    f.DayOfYear = null;
                    break;
                case 'D':
                    f.DayOfYear = value;
                    break;
                case 'H':
                    f.HourOfDay = value;
                    f.Hour12 = null;
                    break;
                case 'k':
                    f.HourOfDay = value == 24 ? 0 : value;
                    f.Hour12 = null;
                    break;
                case 'K':
                    f.Hour12 = value;
                    f.HourOfDay = null;
                    break;
                case 'h':
                    f.Hour12 = value == 12 ? 0 : value;
                    f.HourOfDay = null;
                    break;
                case 'm':
                    f.Minute = value;
                    break;
                case 's':
                    f.Second = value;
                    break;
                case 'S':
                    f.Millis = value;
                    break;
                // Week and day-of-week numbers are read but, as in a plain month/day pattern, do not move the date.
            }
            return true;
        }

        switch (e.Letter)
        {
            case 'G':
                var era = MatchText(text, ref pos, ["BC", "AD"]);
                if (era < 0) return false;
                f.BeforeChrist = era == 0;
                return true;
            case 'M':
            case 'L':
                var month = MatchText(text, ref pos, [.. MonthNames, .. ShortMonthNames]);
                if (month < 0) return false;
                f.Month = month % 12 + 1;
                f.DayOfYear = null;
                return true;
            case 'E':
                return MatchText(text, ref pos, [.. DayNames, .. ShortDayNames]) >= 0;
            case 'a':
                var ampm = MatchText(text, ref pos, ["AM", "PM"]);
                if (ampm < 0) return false;
                f.Pm = ampm == 1;
                return true;
            case 'z':
            case 'Z':
            case 'X':
                return ParseZone(text, ref pos, e.Letter, f);
        }
        return false;
    }

    private static bool ParseInteger(string text, ref int pos, int limit, out long value)
    {
        value = 0;
        var p = pos;
        var negative = false;
        if (p < limit && text[p] == '-')
        {
            negative = true;
            p++;
        }
        var digitsStart = p;
        while (p < limit && char.IsAsciiDigit(text[p]))
        {
            if (value < long.MaxValue / 10) value = value * 10 + (text[p] - '0');
            p++;
        }
        if (p == digitsStart) return false;
        if (negative) value = -value;
        pos = p;
        return true;
    }

    // Case-insensitive; the longest candidate that matches wins (as Java's matchString).
    private static int MatchText(string text, ref int pos, string[] candidates)
    {
        var best = -1;
        var bestLength = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var c = candidates[i];
            if (c.Length > bestLength && pos + c.Length <= text.Length &&
                string.Compare(text, pos, c, 0, c.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                best = i;
                bestLength = c.Length;
            }
        }
        if (best >= 0) pos += bestLength;
        return best;
    }

    private static bool ParseZone(string text, ref int pos, char letter, ParsedFields f)
    {
        var p = pos;
        if (letter == 'X' && p < text.Length && text[p] == 'Z')
        {
            f.OffsetMinutes = 0;
            pos = p + 1;
            return true;
        }
        if (letter != 'X')
        {
            foreach (var name in new[] { "GMT", "UTC", "UT", "Z" })
            {
                if (p + name.Length <= text.Length && string.Compare(text, p, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0)
                {
                    p += name.Length;
                    if (name is "GMT" or "UTC" or "UT" && p < text.Length && text[p] is '+' or '-' && TryParseOffset(text, ref p, out var gmtOffset))
                    {
                        f.OffsetMinutes = gmtOffset;
                    }
                    else
                    {
                        f.OffsetMinutes = 0;
                    }
                    pos = p;
                    return true;
                }
            }
        }
        if (p < text.Length && text[p] is '+' or '-' && TryParseOffset(text, ref p, out var offset))
        {
            f.OffsetMinutes = offset;
            pos = p;
            return true;
        }
        return false;
    }

    // ±hh, ±hhmm or ±hh:mm (also ±h and ±h:mm after GMT).
    private static bool TryParseOffset(string text, ref int pos, out int minutes)
    {
        minutes = 0;
        var p = pos;
        var sign = text[p] == '-' ? -1 : 1;
        p++;
        var start = p;
        while (p < text.Length && p - start < 4 && char.IsAsciiDigit(text[p])) p++;
        var digits = text[start..p];
        int hours, mins = 0;
        if (digits.Length is 1 or 2)
        {
            hours = int.Parse(digits, CultureInfo.InvariantCulture);
            if (p + 2 < text.Length && text[p] == ':' && char.IsAsciiDigit(text[p + 1]) && char.IsAsciiDigit(text[p + 2]))
            {
                mins = int.Parse(text.AsSpan(p + 1, 2), CultureInfo.InvariantCulture);
                p += 3;
            }
        }
        else if (digits.Length == 4)
        {
            hours = int.Parse(digits.AsSpan(0, 2), CultureInfo.InvariantCulture);
            mins = int.Parse(digits.AsSpan(2, 2), CultureInfo.InvariantCulture);
        }
        else
        {
            return false;
        }
        if (hours > 23 || mins > 59) return false;
        minutes = sign * (hours * 60 + mins);
        pos = p;
        return true;
    }

    private sealed class ParsedFields
    {
        public long Year = 1970;
        public long Month = 1;
        public long Day = 1;
        public long? DayOfYear;
        public long? HourOfDay;
        public long? Hour12;
        public bool? Pm;
        public long Minute;
        public long Second;
        public long Millis;
        public bool BeforeChrist;
        public int OffsetMinutes;

        public bool TryResolve(out long epochMillis)
        {
            epochMillis = 0;
            try
            {
                checked
                {
                    var year = BeforeChrist ? 1 - Year : Year;
                    long days;
                    if (DayOfYear is { } doy)
                    {
                        days = DaysFromCivil(year, 1, 1) + doy - 1;
                    }
                    else
                    {
                        // Lenient: months beyond 12 (or below 1) roll the year, days beyond the month roll the month.
                        var monthIndex = Month - 1;
                        year += FloorDiv(monthIndex, 12);
                        var month = (int)FloorMod(monthIndex, 12) + 1;
                        days = DaysFromCivil(year, month, 1) + Day - 1;
                    }
                    var hour = HourOfDay ?? ((Hour12 ?? 0) + (Pm == true ? 12 : 0));
                    epochMillis = days * MillisPerDay + hour * 3_600_000 + Minute * 60_000 + Second * 1000 + Millis
                        - OffsetMinutes * 60_000L;
                    return true;
                }
            }
            catch (OverflowException)
            {
                return false;
            }
        }
    }

    // ---------------------------------------------------------------- calendar arithmetic (proleptic Gregorian)

    /// <summary>Days since 1970-01-01 of the given civil date (month 1-12).</summary>
    public static long DaysFromCivil(long year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = FloorDiv(year, 400);
        var yoe = year - era * 400;
        var mp = (month + 9) % 12;
        var doy = (153 * mp + 2) / 5 + day - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    public static (long Year, int Month, int Day) CivilFromDays(long days)
    {
        days += 719468;
        var era = FloorDiv(days, 146097);
        var doe = days - era * 146097;
        var yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        var doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        var mp = (5 * doy + 2) / 153;
        var day = (int)(doy - (153 * mp + 2) / 5 + 1);
        var month = (int)(mp < 10 ? mp + 3 : mp - 9);
        var year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        return (year, month, day);
    }

    public static long FloorDiv(long a, long b)
    {
        var q = a / b;
        if (a % b != 0 && (a < 0) != (b < 0)) q--;
        return q;
    }

    public static long FloorMod(long a, long b) => a - FloorDiv(a, b) * b;
}
