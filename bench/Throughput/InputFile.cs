using System.Text;

namespace OrleansConnect.Throughput;

/// <summary>The input both tools read: log-like ASCII lines of exactly <c>lineBytes</c> bytes (newline
/// included), a sequence number first. Seeded, so every run sends the same bytes. No quotes or
/// backslashes, so JsonConverter's envelope never has to escape anything.</summary>
public static class InputFile
{
    private static readonly string[] Levels = ["INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "WARN", "DEBUG"];
    private static readonly string[] Services = ["orders", "payments", "inventory", "shipping", "auth", "search", "cart", "billing"];
    private static readonly string[] Messages =
        ["request handled", "cache miss", "retrying call", "order accepted", "payment captured", "stock reserved", "session renewed", "query executed"];
    private const string Filler = " the quick brown fox jumps over the lazy dog while the slow grey cat watches from the fence";

    public static async Task WriteAsync(string path, int lines, int lineBytes, CancellationToken cancellationToken)
    {
        var random = new Random(20251122);
        var line = new StringBuilder(lineBytes + Filler.Length);
        var bytes = new byte[lineBytes];
        await using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20, useAsync: true);
        for (var seq = 0; seq < lines; seq++)
        {
            line.Clear()
                .Append(seq.ToString("D9")).Append(' ')
                .Append(Levels[random.Next(Levels.Length)])
                .Append(" svc=").Append(Services[random.Next(Services.Length)])
                .Append(" user=").Append(random.Next(10_000).ToString("D4"))
                .Append(" took=").Append(random.Next(1_000).ToString("D3")).Append("ms ")
                .Append(Messages[random.Next(Messages.Length)]);
            while (line.Length < lineBytes - 1) line.Append(Filler);
            line.Length = lineBytes - 1;
            Encoding.ASCII.GetBytes(line.ToString(), bytes);
            bytes[lineBytes - 1] = (byte)'\n';
            await output.WriteAsync(bytes, cancellationToken);
        }
    }
}
