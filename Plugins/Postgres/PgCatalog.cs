using Npgsql;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>A captured table as the catalog describes it now.</summary>
public sealed record PgTable(uint Oid, string Schema, string Name, char ReplicaIdentity, IReadOnlyList<PgColumn> Columns, IReadOnlyList<string> PrimaryKey)
{
    public string FullName => Schema + "." + Name;
}

/// <summary>Reads tables, columns, primary keys and types from pg_catalog (types are cached: they rarely change
/// while a task runs, and an enum that gains a label is read again when its table is).</summary>
public sealed class PgCatalog(NpgsqlConnection connection)
{
    private readonly Dictionary<uint, PgType> _types = new();

    /// <summary>Every ordinary or partitioned table outside the system schemas, by schema and name.</summary>
    public async Task<List<(uint Oid, string Schema, string Name)>> ListTablesAsync(CancellationToken ct)
    {
        const string sql = """
            SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
            ORDER BY n.nspname, c.relname
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var result = new List<(uint, string, string)>();
        while (await reader.ReadAsync(ct)) result.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2)));
        return result;
    }

    public async Task<PgTable?> LoadTableAsync(uint oid, CancellationToken ct)
    {
        string schema, name;
        char identity;
        await using (var command = new NpgsqlCommand(
            "SELECT n.nspname, c.relname, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            schema = reader.GetString(0);
            name = reader.GetString(1);
            identity = reader.GetChar(2);
        }
        var raw = new List<(string Name, uint Type, int Mod, bool NotNull)>();
        await using (var command = new NpgsqlCommand(
            "SELECT attname, atttypid, atttypmod, attnotnull FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                raw.Add((reader.GetString(0), reader.GetFieldValue<uint>(1), reader.GetInt32(2), reader.GetBoolean(3)));
        }
        var primaryKey = new List<string>();
        await using (var command = new NpgsqlCommand("""
            SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) primaryKey.Add(reader.GetString(0));
        }
        var columns = new List<PgColumn>(raw.Count);
        foreach (var (columnName, type, mod, notNull) in raw)
            columns.Add(new PgColumn(columnName, await TypeAsync(type, ct), mod, notNull));
        return new PgTable(oid, schema, name, identity, columns, primaryKey);
    }

    public async Task<PgType> TypeAsync(uint oid, CancellationToken ct)
    {
        if (_types.TryGetValue(oid, out var known)) return known;
        string name;
        char kind, category;
        uint element;
        await using (var command = new NpgsqlCommand("SELECT typname, typtype, typcategory, typelem FROM pg_type WHERE oid = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new PgType(oid, "unknown", 'b');
            name = reader.GetString(0);
            kind = reader.GetChar(1);
            category = reader.GetChar(2);
            element = reader.GetFieldValue<uint>(3);
        }
        PgType type;
        if (category == 'A' && element != 0) type = new PgType(oid, name, 'A', await TypeAsync(element, ct));
        else if (kind == 'e')
        {
            var labels = new List<string>();
            await using var command = new NpgsqlCommand("SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) labels.Add(reader.GetString(0));
            type = new PgType(oid, name, 'e', null, labels);
        }
        else if (kind == 'd')
        {
            // A domain is its base type.
            await using var command = new NpgsqlCommand("SELECT typbasetype FROM pg_type WHERE oid = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var baseType = (uint)(await command.ExecuteScalarAsync(ct))!;
            type = await TypeAsync(baseType, ct);
        }
        else type = new PgType(oid, name, kind);
        _types[oid] = type;
        return type;
    }

    /// <summary>Forgets cached enum types so that labels added since are read.</summary>
    public void ForgetEnums()
    {
        foreach (var (oid, type) in _types.ToList())
        {
            if (type.Kind == 'e' || type.Element?.Kind == 'e') _types.Remove(oid);
        }
    }
}
