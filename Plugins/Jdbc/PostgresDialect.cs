using System.Collections;
using System.Text;
using NpgsqlTypes;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using DateSchema = OrleansConnect.Connect.Data.Date;
using TimeSchema = OrleansConnect.Connect.Data.Time;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>The SQL the JDBC sink sends to PostgreSQL, and how Connect values are bound: Confluent's
/// PostgreSqlDatabaseDialect's statements and type mapping, with multi-row VALUES lists where it binds row by row.</summary>
public sealed class PostgresDialect(bool quoteIdentifiers, TimeZoneInfo timeZone)
{
    /// <summary>PostgreSQL's limit on the parameters of one statement.</summary>
    public const int MaxParameters = 65535;

    // Column types PostgreSQL does not cast a text parameter to by itself: the placeholder gets an explicit cast, as
    // Confluent's dialect does for existing columns of these types.
    private static readonly HashSet<string> CastTypes = new(StringComparer.Ordinal)
    {
        "uuid", "json", "jsonb", "inet", "cidr", "macaddr", "macaddr8", "xml", "tsvector", "tsquery", "money",
    };

    public bool QuoteIdentifiers => quoteIdentifiers;

    public string Identifier(string name) => quoteIdentifiers ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;

    /// <summary>A table name as configured ("t", "schema.t"), each part quoted.</summary>
    public string Table(TableId table) => table.Schema is null ? Identifier(table.Name) : Identifier(table.Schema) + "." + Identifier(table.Name);

    /// <summary>The column type auto.create and auto.evolve give a Connect schema.</summary>
    public static string SqlType(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName: return "DECIMAL";
            case DateSchema.LogicalName: return "DATE";
            case TimeSchema.LogicalName: return "TIME";
            case Timestamp.LogicalName: return "TIMESTAMP";
        }
        return schema.Type switch
        {
            SchemaType.Int8 or SchemaType.Int16 => "SMALLINT",
            SchemaType.Int32 => "INT",
            SchemaType.Int64 => "BIGINT",
            SchemaType.Float32 => "REAL",
            SchemaType.Float64 => "DOUBLE PRECISION",
            SchemaType.Boolean => "BOOLEAN",
            SchemaType.String => "TEXT",
            SchemaType.Bytes => "BYTEA",
            SchemaType.Array when schema.ValueSchemaOrNull is { } element && element.Type.IsPrimitive() => SqlType(element) + "[]",
            _ => throw new ConnectException($"{schema.Name ?? "null"} ({schema.Type.ToConnectName()}) type doesn't have a mapping to the SQL database column type"),
        };
    }

    public string CreateTable(TableId table, IReadOnlyList<SinkField> fields)
    {
        var sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(Table(table)).Append(" (");
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) sql.Append(',');
            sql.Append('\n').Append(ColumnDefinition(fields[i]));
        }
        var keys = fields.Where(f => f.IsPrimaryKey).ToList();
        if (keys.Count > 0) sql.Append(",\nPRIMARY KEY(").Append(string.Join(",", keys.Select(k => Identifier(k.Name)))).Append(')');
        return sql.Append(')').ToString();
    }

    public string AddColumns(TableId table, IReadOnlyList<SinkField> fields) =>
        "ALTER TABLE " + Table(table) + " " + string.Join(", ", fields.Select(f => "ADD COLUMN IF NOT EXISTS " + ColumnDefinition(f)));

    private string ColumnDefinition(SinkField field)
    {
        var text = Identifier(field.Name) + " " + SqlType(field.Schema);
        if (field.Schema.DefaultValue is { } value && DefaultLiteral(field.Schema, value) is { } literal) text += " DEFAULT " + literal;
        return text + (field.IsOptional ? " NULL" : " NOT NULL");
    }

    private static string? DefaultLiteral(Schema schema, object value) => schema.Name is null
        ? value switch
        {
            bool b => b ? "TRUE" : "FALSE",
            string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
            sbyte or short or int or long => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            float or double => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        }
        : null;

    /// <summary>INSERT (or upsert) of <paramref name="rows"/> rows in one VALUES list. Parameters are numbered row by row
    /// in <paramref name="columns"/> order.</summary>
    public string Insert(TableId table, IReadOnlyList<SinkField> keys, IReadOnlyList<SinkField> columns, int rows, bool upsert,
        IReadOnlyDictionary<string, string> columnTypes)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(Table(table)).Append(" (")
            .Append(string.Join(",", columns.Select(c => Identifier(c.Name)))).Append(") VALUES ");
        var n = 1;
        for (var r = 0; r < rows; r++)
        {
            if (r > 0) sql.Append(',');
            sql.Append('(');
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0) sql.Append(',');
                sql.Append(Placeholder(n++, columns[c].Name, columnTypes));
            }
            sql.Append(')');
        }
        if (upsert)
        {
            sql.Append(" ON CONFLICT (").Append(string.Join(",", keys.Select(k => Identifier(k.Name)))).Append(')');
            var nonKeys = columns.Where(c => !c.IsPrimaryKey).ToList();
            if (nonKeys.Count == 0) sql.Append(" DO NOTHING");
            else sql.Append(" DO UPDATE SET ").Append(string.Join(",", nonKeys.Select(c => Identifier(c.Name) + "=EXCLUDED." + Identifier(c.Name))));
        }
        return sql.ToString();
    }

    /// <summary>INSERT (or upsert) of any number of rows from one array parameter per column (UNNEST): the statement's
    /// text does not depend on the row count, so Npgsql prepares it once, and PostgreSQL plans 1 parameter per column
    /// rather than one per value.</summary>
    public string InsertUnnest(TableId table, IReadOnlyList<SinkField> keys, IReadOnlyList<SinkField> columns, bool upsert)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(Table(table)).Append(" (")
            .Append(string.Join(",", columns.Select(c => Identifier(c.Name)))).Append(") SELECT * FROM UNNEST(")
            .Append(string.Join(",", columns.Select((_, i) => "$" + (i + 1)))).Append(')');
        if (upsert)
        {
            sql.Append(" ON CONFLICT (").Append(string.Join(",", keys.Select(k => Identifier(k.Name)))).Append(')');
            var nonKeys = columns.Where(c => !c.IsPrimaryKey).ToList();
            if (nonKeys.Count == 0) sql.Append(" DO NOTHING");
            else sql.Append(" DO UPDATE SET ").Append(string.Join(",", nonKeys.Select(c => Identifier(c.Name) + "=EXCLUDED." + Identifier(c.Name))));
        }
        return sql.ToString();
    }

    /// <summary>A binary COPY of the columns into the table.</summary>
    public string CopyIn(TableId table, IReadOnlyList<SinkField> columns) =>
        "COPY " + Table(table) + " (" + string.Join(",", columns.Select(c => Identifier(c.Name))) + ") FROM STDIN (FORMAT BINARY)";

    /// <summary>Whether a column's values can travel in an UNNEST array (not arrays themselves, not cast from text).</summary>
    public static bool Unnestable(SinkField field, IReadOnlyDictionary<string, string> columnTypes) =>
        field.Schema.Type != SchemaType.Array && !BindsAsText(field.Name, columnTypes);

    /// <summary>The column's values of <paramref name="rows"/> as one typed array parameter.</summary>
    public Npgsql.NpgsqlParameter ColumnArray(Schema schema, IReadOnlyList<object?> rows)
    {
        var type = DbType(schema);
        if (schema.Name is null && TypedArray(schema.Type, rows) is { } typed)
            return new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | type, Value = typed };
        var clr = ClrType(type);
        var array = Array.CreateInstance(clr.IsValueType ? typeof(Nullable<>).MakeGenericType(clr) : clr, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var bound = Bind(schema, rows[i]).Value;
            array.SetValue(bound is DBNull ? null : bound, i);
        }
        return new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | type, Value = array };
    }

    /// <summary>The values of a plain (not logical) primitive column as an array of their own type, without a box or a
    /// reflection call per value: T[] when none is null, T?[] otherwise. Null for the types ColumnArray converts.</summary>
    private static Array? TypedArray(SchemaType type, IReadOnlyList<object?> rows) => type switch
    {
        SchemaType.Int16 => Typed<short>(rows),
        SchemaType.Int32 => Typed<int>(rows),
        SchemaType.Int64 => Typed<long>(rows),
        SchemaType.Float32 => Typed<float>(rows),
        SchemaType.Float64 => Typed<double>(rows),
        SchemaType.Boolean => Typed<bool>(rows),
        SchemaType.String => References<string>(rows),
        SchemaType.Bytes => References<byte[]>(rows),
        _ => null,
    };

    private static Array Typed<T>(IReadOnlyList<object?> rows) where T : struct
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            if (rows[i] is not { } value) return NullableArray<T>(rows);
            values[i] = (T)value;
        }
        return values;
    }

    private static T?[] NullableArray<T>(IReadOnlyList<object?> rows) where T : struct
    {
        var values = new T?[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = (T?)rows[i];
        return values;
    }

    private static T?[] References<T>(IReadOnlyList<object?> rows) where T : class
    {
        var values = new T?[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = (T?)rows[i];
        return values;
    }

    private static Type ClrType(NpgsqlDbType type) => type switch
    {
        NpgsqlDbType.Smallint => typeof(short),
        NpgsqlDbType.Integer => typeof(int),
        NpgsqlDbType.Bigint => typeof(long),
        NpgsqlDbType.Real => typeof(float),
        NpgsqlDbType.Double => typeof(double),
        NpgsqlDbType.Boolean => typeof(bool),
        NpgsqlDbType.Text => typeof(string),
        NpgsqlDbType.Numeric => typeof(decimal),
        NpgsqlDbType.Date => typeof(DateOnly),
        NpgsqlDbType.Time => typeof(TimeOnly),
        NpgsqlDbType.Timestamp => typeof(DateTime),
        NpgsqlDbType.Bytea => typeof(byte[]),
        _ => typeof(object),
    };

    /// <summary>UPDATE of one row: the non-key columns' parameters first, then the keys'.</summary>
    public string Update(TableId table, IReadOnlyList<SinkField> keys, IReadOnlyList<SinkField> nonKeys, IReadOnlyDictionary<string, string> columnTypes)
    {
        var n = 1;
        var set = string.Join(", ", nonKeys.Select(c => Identifier(c.Name) + " = " + Placeholder(n++, c.Name, columnTypes)));
        var where = string.Join(" AND ", keys.Select(k => Identifier(k.Name) + " = " + Placeholder(n++, k.Name, columnTypes)));
        return "UPDATE " + Table(table) + " SET " + set + " WHERE " + where;
    }

    /// <summary>DELETE of <paramref name="rows"/> keys in one statement.</summary>
    public string Delete(TableId table, IReadOnlyList<SinkField> keys, int rows, IReadOnlyDictionary<string, string> columnTypes)
    {
        var n = 1;
        var sql = new StringBuilder("DELETE FROM ").Append(Table(table)).Append(" WHERE ");
        if (keys.Count == 1)
        {
            sql.Append(Identifier(keys[0].Name)).Append(" IN (");
            for (var r = 0; r < rows; r++) sql.Append(r > 0 ? "," : "").Append(Placeholder(n++, keys[0].Name, columnTypes));
            return sql.Append(')').ToString();
        }
        sql.Append('(').Append(string.Join(",", keys.Select(k => Identifier(k.Name)))).Append(") IN (");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r > 0 ? ",(" : "(");
            for (var c = 0; c < keys.Count; c++) sql.Append(c > 0 ? "," : "").Append(Placeholder(n++, keys[c].Name, columnTypes));
            sql.Append(')');
        }
        return sql.Append(')').ToString();
    }

    private static string Placeholder(int n, string column, IReadOnlyDictionary<string, string> columnTypes) =>
        columnTypes.TryGetValue(column, out var type) && CastTypes.Contains(type) ? $"${n}::{type}" : $"${n}";

    /// <summary>Whether a column's values are bound as text for a cast (uuid, json, …).</summary>
    public static bool BindsAsText(string column, IReadOnlyDictionary<string, string> columnTypes) =>
        columnTypes.TryGetValue(column, out var type) && CastTypes.Contains(type);

    /// <summary>The Npgsql type and CLR value of a Connect value of <paramref name="schema"/>.</summary>
    public (NpgsqlDbType Type, object Value) Bind(Schema schema, object? value)
    {
        var type = DbType(schema);
        if (value is null) return (type, DBNull.Value);
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName:
                return (type, (decimal)value);
            case DateSchema.LogicalName:
                return (type, DateOnly.FromDateTime(InZone((LogicalTime)value)));
            case TimeSchema.LogicalName:
                return (type, TimeOnly.FromDateTime(InZone((LogicalTime)value)));
            case Timestamp.LogicalName:
                return (type, InZone((LogicalTime)value));
        }
        return schema.Type switch
        {
            SchemaType.Int8 => (type, (short)(sbyte)value),
            SchemaType.Array => (type, ToArray(schema.ValueSchema, (IList)value)),
            _ => (type, value),
        };
    }

    /// <summary>The wall-clock time in db.timezone, as Confluent binds time values with a calendar of that zone.</summary>
    private DateTime InZone(LogicalTime time) =>
        DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeFromUtc(time.ToDateTime(), timeZone), DateTimeKind.Unspecified);

    private Array ToArray(Schema elementSchema, IList values)
    {
        var sample = Bind(elementSchema, null).Type;
        var clr = sample switch
        {
            NpgsqlDbType.Smallint => typeof(short),
            NpgsqlDbType.Integer => typeof(int),
            NpgsqlDbType.Bigint => typeof(long),
            NpgsqlDbType.Real => typeof(float),
            NpgsqlDbType.Double => typeof(double),
            NpgsqlDbType.Boolean => typeof(bool),
            NpgsqlDbType.Text => typeof(string),
            NpgsqlDbType.Numeric => typeof(decimal),
            NpgsqlDbType.Date => typeof(DateOnly),
            NpgsqlDbType.Time => typeof(TimeOnly),
            NpgsqlDbType.Timestamp => typeof(DateTime),
            _ => typeof(object),
        };
        var elementsNullable = elementSchema.IsOptional && clr.IsValueType;
        var array = Array.CreateInstance(elementsNullable ? typeof(Nullable<>).MakeGenericType(clr) : clr, values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var bound = Bind(elementSchema, values[i]).Value;
            array.SetValue(bound is DBNull ? null : bound, i);
        }
        return array;
    }

    public static NpgsqlDbType DbType(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName: return NpgsqlDbType.Numeric;
            case DateSchema.LogicalName: return NpgsqlDbType.Date;
            case TimeSchema.LogicalName: return NpgsqlDbType.Time;
            case Timestamp.LogicalName: return NpgsqlDbType.Timestamp;
        }
        return schema.Type switch
        {
            SchemaType.Int8 or SchemaType.Int16 => NpgsqlDbType.Smallint,
            SchemaType.Int32 => NpgsqlDbType.Integer,
            SchemaType.Int64 => NpgsqlDbType.Bigint,
            SchemaType.Float32 => NpgsqlDbType.Real,
            SchemaType.Float64 => NpgsqlDbType.Double,
            SchemaType.Boolean => NpgsqlDbType.Boolean,
            SchemaType.String => NpgsqlDbType.Text,
            SchemaType.Bytes => NpgsqlDbType.Bytea,
            SchemaType.Array when schema.ValueSchemaOrNull is { } element && element.Type.IsPrimitive() => NpgsqlDbType.Array | DbType(element),
            _ => throw new ConnectException($"{schema.Name ?? "null"} ({schema.Type.ToConnectName()}) type doesn't have a mapping to the SQL database column type"),
        };
    }
}

/// <summary>A table as table.name.format names it: "name" or "schema.name" (a catalog part is dropped, as PostgreSQL has one per connection).</summary>
public sealed record TableId(string? Schema, string Name)
{
    public static TableId Parse(string text)
    {
        var parts = text.Split('.');
        return parts.Length switch
        {
            1 => new TableId(null, parts[0]),
            2 => new TableId(parts[0], parts[1]),
            _ => new TableId(parts[^2], parts[^1]),
        };
    }

    public override string ToString() => Schema is null ? Name : Schema + "." + Name;
}
