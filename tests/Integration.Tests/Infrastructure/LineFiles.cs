using System.Text;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Reading and writing the line files the FileStream connectors move.</summary>
public static class LineFiles
{
    public static string[] Numbered(int count, int start = 1) =>
        Enumerable.Range(start, count).Select(i => $"{i:D7} payload line").ToArray();

    public static void Write(string path, IEnumerable<string> lines, bool append = false)
    {
        using var writer = new StreamWriter(path, append, new UTF8Encoding(false));
        foreach (var line in lines) writer.Write(line + "\n");
    }

    /// <summary>The complete lines of a file another process is appending to.</summary>
    public static List<string> ReadCompleteLines(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').ToList();
    }

    public static int CountLines(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[1 << 16];
        var count = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0) count += buffer.AsSpan(0, read).Count((byte)'\n');
        return count;
    }
}
