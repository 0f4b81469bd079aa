using Avro;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>Avro's schema resolution rules (the specification's "Schema Resolution"), as the schema registry applies
/// them: a reader schema can read data written with a writer schema when every field the reader needs is either written
/// or has a default, primitives match or promote (int→long→float→double, string↔bytes), named types match by name, enums know every written symbol (or have a default symbol), fixed sizes agree, and every branch
/// of a written union can be read. Returns one readable message per incompatibility, empty when compatible.</summary>
public static class AvroCompatibility
{
    /// <param name="readerName">How messages call the reader ("new schema"), and <paramref name="writerName"/> the writer.</param>
    public static List<string> Check(Schema reader, Schema writer, string readerName = "reader schema", string writerName = "writer schema")
    {
        var problems = new List<string>();
        new Walk(problems, readerName, writerName).Compare(reader, writer, "");
        return problems;
    }

    private sealed class Walk(List<string> problems, string readerName, string writerName)
    {
        // Recursive named types: a pair under comparison is taken as compatible the second time it is met.
        private readonly HashSet<(Schema, Schema)> _seen = new(ReferencePairComparer.Instance);

        public void Compare(Schema reader, Schema writer, string path)
        {
            reader = Unwrap(reader);
            writer = Unwrap(writer);
            if (writer.Tag == Schema.Type.Union && reader.Tag != Schema.Type.Union)
            {
                var branches = ((UnionSchema)writer).Schemas;
                for (var i = 0; i < branches.Count; i++)
                    Compare(reader, branches[i], $"{path}/{i}");
                return;
            }
            if (reader.Tag == Schema.Type.Union)
            {
                var readerBranches = ((UnionSchema)reader).Schemas;
                if (writer.Tag == Schema.Type.Union)
                {
                    var branches = ((UnionSchema)writer).Schemas;
                    for (var i = 0; i < branches.Count; i++)
                        if (!readerBranches.Any(r => Compatible(r, branches[i])))
                            problems.Add($"MISSING_UNION_BRANCH: the {readerName}'s union at '{Path(path)}' cannot read the {writerName}'s branch {i} ({Describe(branches[i])})");
                }
                else if (!readerBranches.Any(r => Compatible(r, writer)))
                {
                    problems.Add($"MISSING_UNION_BRANCH: the union at '{Path(path)}' has no branch that reads {Describe(writer)}");
                }
                return;
            }
            if (!_seen.Add((reader, writer))) return;
            switch (reader.Tag)
            {
                case Schema.Type.Null or Schema.Type.Boolean or Schema.Type.Int or Schema.Type.Long or Schema.Type.Float
                    or Schema.Type.Double or Schema.Type.Bytes or Schema.Type.String:
                    if (!Promotes(writer.Tag, reader.Tag))
                        problems.Add($"TYPE_MISMATCH: the type at '{Path(path)}' is {Describe(reader)} in the {readerName} and {Describe(writer)} in the {writerName}");
                    return;
                case Schema.Type.Array:
                    if (writer.Tag != Schema.Type.Array) { Mismatch(reader, writer, path); return; }
                    Compare(((ArraySchema)reader).ItemSchema, ((ArraySchema)writer).ItemSchema, path + "/items");
                    return;
                case Schema.Type.Map:
                    if (writer.Tag != Schema.Type.Map) { Mismatch(reader, writer, path); return; }
                    Compare(((MapSchema)reader).ValueSchema, ((MapSchema)writer).ValueSchema, path + "/values");
                    return;
                case Schema.Type.Fixed:
                    if (writer.Tag != Schema.Type.Fixed) { Mismatch(reader, writer, path); return; }
                    if (!NamesMatch((NamedSchema)reader, (NamedSchema)writer)) { NameMismatch(reader, writer, path); return; }
                    if (((FixedSchema)reader).Size != ((FixedSchema)writer).Size)
                        problems.Add($"FIXED_SIZE_MISMATCH: the fixed '{reader.Fullname}' at '{Path(path)}' has size {((FixedSchema)reader).Size} in the {readerName} and {((FixedSchema)writer).Size} in the {writerName}");
                    return;
                case Schema.Type.Enumeration:
                    if (writer.Tag != Schema.Type.Enumeration) { Mismatch(reader, writer, path); return; }
                    if (!NamesMatch((NamedSchema)reader, (NamedSchema)writer)) { NameMismatch(reader, writer, path); return; }
                    var readerEnum = (EnumSchema)reader;
                    if (readerEnum.Default is null)
                    {
                        var missing = ((EnumSchema)writer).Symbols.Where(s => !readerEnum.Contains(s)).ToList();
                        if (missing.Count > 0)
                            problems.Add($"MISSING_ENUM_SYMBOLS: the enum '{reader.Fullname}' at '{Path(path)}' in the {readerName} lacks the {writerName}'s symbols [{string.Join(", ", missing)}]");
                    }
                    return;
                case Schema.Type.Record or Schema.Type.Error:
                    if (writer.Tag is not (Schema.Type.Record or Schema.Type.Error)) { Mismatch(reader, writer, path); return; }
                    if (!NamesMatch((NamedSchema)reader, (NamedSchema)writer)) { NameMismatch(reader, writer, path); return; }
                    var writerRecord = (RecordSchema)writer;
                    foreach (var field in ((RecordSchema)reader).Fields)
                    {
                        var written = writerRecord.Fields.FirstOrDefault(f => f.Name == field.Name)
                            ?? writerRecord.Fields.FirstOrDefault(f => field.Aliases?.Contains(f.Name) == true);
                        if (written is not null)
                            Compare(field.Schema, written.Schema, $"{path}/fields/{field.Pos}");
                        else if (field.DefaultValue is null)
                            problems.Add($"READER_FIELD_MISSING_DEFAULT_VALUE: the field '{field.Name}' at '{Path($"{path}/fields/{field.Pos}")}' in the {readerName} has no default value and is missing in the {writerName}");
                    }
                    return;
                default:
                    Mismatch(reader, writer, path);
                    return;
            }
        }

        private bool Compatible(Schema reader, Schema writer)
        {
            var before = problems.Count;
            Compare(reader, writer, "");
            var ok = problems.Count == before;
            problems.RemoveRange(before, problems.Count - before);
            return ok;
        }

        private void Mismatch(Schema reader, Schema writer, string path) =>
            problems.Add($"TYPE_MISMATCH: the type at '{Path(path)}' is {Describe(reader)} in the {readerName} and {Describe(writer)} in the {writerName}");

        private void NameMismatch(Schema reader, Schema writer, string path) =>
            problems.Add($"NAME_MISMATCH: the type at '{Path(path)}' is named '{reader.Fullname}' in the {readerName} and '{writer.Fullname}' in the {writerName}");
    }

    // Logical types resolve as their underlying type (a reader ignores a logical type it does not know).
    private static Schema Unwrap(Schema schema) => schema is LogicalSchema logical ? logical.BaseSchema : schema;

    private static bool Promotes(Schema.Type writer, Schema.Type reader) => writer == reader || (writer, reader) switch
    {
        (Schema.Type.Int, Schema.Type.Long or Schema.Type.Float or Schema.Type.Double) => true,
        (Schema.Type.Long, Schema.Type.Float or Schema.Type.Double) => true,
        (Schema.Type.Float, Schema.Type.Double) => true,
        (Schema.Type.String, Schema.Type.Bytes) or (Schema.Type.Bytes, Schema.Type.String) => true,
        _ => false,
    };

    // As Avro's Java SchemaCompatibility: the unqualified names agree. (Type aliases are not consulted: Apache.Avro keeps
    // them private.)
    private static bool NamesMatch(NamedSchema reader, NamedSchema writer) => reader.Name == writer.Name;

    private static string Describe(Schema schema) => schema switch
    {
        NamedSchema named => $"{Schema.GetTypeString(named.Tag)} '{named.Fullname}'",
        _ => Schema.GetTypeString(schema.Tag),
    };

    private static string Path(string path) => path.Length == 0 ? "/" : path;

    private sealed class ReferencePairComparer : IEqualityComparer<(Schema, Schema)>
    {
        public static readonly ReferencePairComparer Instance = new();
        public bool Equals((Schema, Schema) x, (Schema, Schema) y) => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);
        public int GetHashCode((Schema, Schema) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2));
    }
}
