using OrleansConnect.Plugins.Transforms.Util;
using Xunit;

namespace OrleansConnect.Tests.Util;

public class JavaRegexTests
{
    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "abcd", false)]
    [InlineData("a|ab", "ab", true)] // matches() backtracks into the second alternative
    [InlineData("\\d+", "123", true)]
    [InlineData("\\d+", "١٢٣", false)] // Java's \d is ASCII only
    [InlineData("\\w+", "été", false)]
    [InlineData("\\p{Lower}+", "abc", true)]
    [InlineData("\\p{Upper}+", "abc", false)]
    [InlineData("\\Qa.b*\\E", "a.b*", true)]
    [InlineData("\\Qa.b*\\E", "axbb", false)]
    [InlineData("\\x{41}", "A", true)]
    [InlineData("(?i)ORDERS", "orders", true)]
    [InlineData("(?<name>a)\\k<name>", "aa", true)]
    [InlineData("[]a]+", "]a", true)]
    [InlineData("a{2,3}", "aaa", true)]
    [InlineData("a b", "a b", true)]
    public void MatchesWholeInputLikeJava(string pattern, string input, bool expected)
    {
        Assert.Equal(expected, JavaRegex.Compile(pattern).Matches(input));
    }

    [Fact]
    public void NamedGroupsAreNumberedInJavaOrder()
    {
        var regex = JavaRegex.Compile("(?<first>a)(b)(?<third>c)");
        Assert.Equal(3, regex.GroupCount);
        Assert.Equal("b-a-c-c", regex.ReplaceFirst("abc", "$2-$1-$3-${third}"));
    }

    [Theory]
    [InlineData("[")]
    [InlineData("*")]
    [InlineData("a{")]
    [InlineData("{1}")]
    [InlineData("(")]
    [InlineData("a++")]
    [InlineData("[a&&b]")]
    public void RejectsInvalidOrUnsupportedPatterns(string pattern)
    {
        Assert.ThrowsAny<ArgumentException>(() => JavaRegex.Compile(pattern));
    }

    [Theory]
    [InlineData("x\\")]
    [InlineData("$")]
    [InlineData("$x")]
    [InlineData("${unknown}")]
    public void RejectsBadReplacements(string replacement)
    {
        Assert.ThrowsAny<Exception>(() => JavaRegex.Compile("(a)").ReplaceFirst("a", replacement));
    }
}
