using OrleansConnect.Plugins.Transforms.Util;
using Xunit;

namespace OrleansConnect.Tests.Util;

public class JavaDateFormatTests
{
    private const long Instant = 1483425001864L; // Tuesday 2017-01-03T06:30:01.864Z

    [Theory]
    [InlineData("yyyyMMdd", "20170103")]
    [InlineData("yy-M-d", "17-1-3")]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-01-03T06:30:01.864+0000")]
    [InlineData("EEE, d MMM yyyy hh:mm a", "Tue, 3 Jan 2017 06:30 AM")]
    [InlineData("EEEE MMMM", "Tuesday January")]
    [InlineData("D w W F u", "3 1 1 1 2")]
    [InlineData("k K h H", "6 6 6 6")]
    [InlineData("'quoted ''text''' G z X", "quoted 'text' AD UTC Z")]
    [InlineData("S SSSS", "864 0864")]
    public void FormatsLikeSimpleDateFormat(string pattern, string expected)
    {
        Assert.Equal(expected, new JavaDateFormat(pattern).Format(Instant));
    }

    [Fact]
    public void FormatsBeforeTheEpoch()
    {
        Assert.Equal("1969-12-31 23:59:59.999", new JavaDateFormat("yyyy-MM-dd HH:mm:ss.SSS").Format(-1));
    }

    [Theory]
    [InlineData("yyyy-MM-dd", "2017-01-03", 1483401600000L)]
    [InlineData("yyyyMMdd", "20170103", 1483401600000L)]
    [InlineData("yyyy-MM-dd HH:mm:ss.SSS", "2017-01-03 06:30:01.864", Instant)]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss.SSSX", "2017-01-03T08:30:01.864+02:00", Instant)]
    [InlineData("yyyy-MM-dd HH:mm Z", "2017-01-03 01:30 -0500", 1483425000000L)]
    [InlineData("dd MMM yyyy", "03 jan 2017", 1483401600000L)]
    [InlineData("yyyy-MM-dd", "2016-12-34", 1483401600000L)]
    [InlineData("yyyy-MM-dd", "2017-01-03xyz", 1483401600000L)]
    [InlineData("hh:mm a", "12:00 AM", 0L)]
    [InlineData("hh:mm a", "01:00 PM", 46800000L)]
    public void ParsesLeniently(string pattern, string text, long expected)
    {
        Assert.Equal(expected, new JavaDateFormat(pattern).Parse(text));
    }

    [Theory]
    [InlineData("yyyy-MM-dd", "2017/01/03")]
    [InlineData("yyyy-MM-dd", "2017-01")]
    [InlineData("yyyy-MM-dd", "")]
    [InlineData("MMM", "Foo")]
    public void RejectsUnparseableText(string pattern, string text)
    {
        var e = Assert.Throws<FormatException>(() => new JavaDateFormat(pattern).Parse(text));
        Assert.Equal($"Unparseable date: \"{text}\"", e.Message);
    }

    [Theory]
    [InlineData("yyyy-qq", "Illegal pattern character 'q'")]
    [InlineData("'unterminated", "Unterminated quote")]
    public void RejectsBadPatterns(string pattern, string message)
    {
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new JavaDateFormat(pattern)).Message);
    }
}
