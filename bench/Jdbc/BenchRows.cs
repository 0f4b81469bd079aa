using System.Globalization;
using System.Text;

namespace OrleansConnect.Jdbc;

/// <summary>The bench's rows: a 10-column struct, seeded by the row number, written once as CSV (for psql's COPY) and
/// once as JsonConverter records with their schema (for the sink). Doubles and floats are multiples of a power of two,
/// so both texts name the same binary values and the tables can be compared with EXCEPT.</summary>
public static class BenchRows
{
    public const string Columns = "id, account, amount, quantity, name, email, active, score, created, note";

    public static string CreateTable(string table) =>
        $"CREATE TABLE {table} (id BIGINT PRIMARY KEY, account INT NOT NULL, amount DOUBLE PRECISION NOT NULL, quantity INT NOT NULL, " +
        "name TEXT NOT NULL, email TEXT NOT NULL, active BOOLEAN NOT NULL, score REAL NOT NULL, created TIMESTAMP NOT NULL, note TEXT)";

    private const long Epoch = 1_700_000_000_000;

    private static readonly string SchemaJson =
        "{\"type\":\"struct\",\"name\":\"bench.Row\",\"optional\":false,\"fields\":[" +
        "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false}," +
        "{\"field\":\"account\",\"type\":\"int32\",\"optional\":false}," +
        "{\"field\":\"amount\",\"type\":\"double\",\"optional\":false}," +
        "{\"field\":\"quantity\",\"type\":\"int32\",\"optional\":false}," +
        "{\"field\":\"name\",\"type\":\"string\",\"optional\":false}," +
        "{\"field\":\"email\",\"type\":\"string\",\"optional\":false}," +
        "{\"field\":\"active\",\"type\":\"boolean\",\"optional\":false}," +
        "{\"field\":\"score\",\"type\":\"float\",\"optional\":false}," +
        "{\"field\":\"created\",\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1}," +
        "{\"field\":\"note\",\"type\":\"string\",\"optional\":true}]}";

    private static int Account(long i) => (int)(i * 7919 % 100_000);
    private static double Amount(long i) => i % 100_000 * 0.25;
    private static int Quantity(long i) => (int)(i % 100);
    private static bool Active(long i) => i % 3 == 0;
    private static float Score(long i) => i % 1000 * 0.5f;
    private static long Created(long i) => Epoch + i * 1000;
    private static string? Note(long i) => i % 10 == 0 ? null : "note " + (i % 97).ToString(CultureInfo.InvariantCulture);

    public static void AppendCsv(StringBuilder into, long i)
    {
        var created = DateTime.UnixEpoch.AddMilliseconds(Created(i));
        into.Append(CultureInfo.InvariantCulture,
            $"{i},{Account(i)},{Amount(i).ToString("R", CultureInfo.InvariantCulture)},{Quantity(i)},customer-{i},user{i}@example.com,{(Active(i) ? "t" : "f")},{Score(i).ToString("R", CultureInfo.InvariantCulture)},{created:yyyy-MM-dd HH:mm:ss.fff},");
        if (Note(i) is { } note) into.Append(note);
        into.Append('\n');
    }

    public static byte[] Json(long i)
    {
        var note = Note(i) is { } n ? "\"" + n + "\"" : "null";
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"schema\":{SchemaJson},\"payload\":{{\"id\":{i},\"account\":{Account(i)},\"amount\":{Amount(i).ToString("R", CultureInfo.InvariantCulture)},\"quantity\":{Quantity(i)},\"name\":\"customer-{i}\",\"email\":\"user{i}@example.com\",\"active\":{(Active(i) ? "true" : "false")},\"score\":{Score(i).ToString("R", CultureInfo.InvariantCulture)},\"created\":{Created(i)},\"note\":{note}}}}}"));
    }
}
