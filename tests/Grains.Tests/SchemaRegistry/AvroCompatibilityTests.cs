using OrleansConnect.Grains.Interfaces.SchemaRegistry;
using OrleansConnect.Grains.SchemaRegistry;
using AvroSchema = Avro.Schema;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>Avro's schema resolution rules and the seven compatibility levels built on them.</summary>
public sealed class AvroCompatibilityTests
{
    private static AvroSchema Parse(string json) => AvroSchema.Parse(json);

    private static AvroSchema Record(string fields, string name = "R") => Parse($$"""{"type":"record","name":"{{name}}","fields":[{{fields}}]}""");

    private static bool CanRead(AvroSchema reader, AvroSchema writer) => AvroCompatibility.Check(reader, writer).Count == 0;

    [Theory]
    [InlineData("int", "long", true)]
    [InlineData("int", "float", true)]
    [InlineData("int", "double", true)]
    [InlineData("long", "double", true)]
    [InlineData("float", "double", true)]
    [InlineData("string", "bytes", true)]
    [InlineData("bytes", "string", true)]
    [InlineData("long", "int", false)]
    [InlineData("double", "float", false)]
    [InlineData("string", "int", false)]
    [InlineData("boolean", "null", false)]
    public void Primitives_match_or_promote(string writer, string reader, bool compatible) =>
        Assert.Equal(compatible, CanRead(Parse($"\"{reader}\""), Parse($"\"{writer}\"")));

    [Fact]
    public void A_reader_field_needs_the_writer_or_a_default()
    {
        var old = Record("""{"name":"a","type":"int"}""");
        Assert.True(CanRead(Record("""{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"""), old));
        var missing = AvroCompatibility.Check(Record("""{"name":"a","type":"int"},{"name":"b","type":"string"}"""), old, "new schema", "old schema");
        Assert.Equal(["READER_FIELD_MISSING_DEFAULT_VALUE: the field 'b' at '/fields/1' in the new schema has no default value and is missing in the old schema"], missing);
        // Fields the reader does not know are skipped.
        Assert.True(CanRead(Record("""{"name":"a","type":"int"}"""), Record("""{"name":"a","type":"int"},{"name":"z","type":"int"}""")));
        // A null default counts as a default.
        Assert.True(CanRead(Record("""{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}"""), old));
    }

    [Fact]
    public void Named_types_must_agree_on_name_and_shape()
    {
        Assert.False(CanRead(Record("""{"name":"a","type":"int"}""", "Other"), Record("""{"name":"a","type":"int"}""")));
        Assert.False(CanRead(Parse("""{"type":"fixed","name":"F","size":8}"""), Parse("""{"type":"fixed","name":"F","size":4}""")));
        Assert.True(CanRead(Parse("""{"type":"fixed","name":"F","size":4}"""), Parse("""{"type":"fixed","name":"F","size":4}""")));
        var abc = Parse("""{"type":"enum","name":"E","symbols":["A","B","C"]}""");
        var ab = Parse("""{"type":"enum","name":"E","symbols":["A","B"]}""");
        Assert.True(CanRead(abc, ab));
        Assert.False(CanRead(ab, abc));
        // A reader with a default symbol takes symbols it does not know.
        Assert.True(CanRead(Parse("""{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"""), abc));
    }

    [Fact]
    public void Unions_arrays_maps_and_recursion()
    {
        Assert.True(CanRead(Parse("""["null","string"]"""), Parse("\"string\"")));
        Assert.False(CanRead(Parse("\"string\""), Parse("""["null","string"]""")));
        Assert.True(CanRead(Parse("""["null","long"]"""), Parse("""["null","int"]""")));
        Assert.False(CanRead(Parse("""["null","int"]"""), Parse("""["null","int","string"]""")));
        Assert.True(CanRead(Parse("""{"type":"array","items":"long"}"""), Parse("""{"type":"array","items":"int"}""")));
        Assert.False(CanRead(Parse("""{"type":"map","values":"int"}"""), Parse("""{"type":"map","values":"long"}""")));
        Assert.False(CanRead(Parse("""{"type":"map","values":"int"}"""), Parse("""{"type":"array","items":"int"}""")));
        var list = """{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"],"default":null}]}""";
        Assert.True(CanRead(Parse(list), Parse(list)));
        // Logical types resolve as their underlying type.
        Assert.True(CanRead(Parse("""{"type":"long","logicalType":"timestamp-millis"}"""), Parse("\"long\"")));
    }

    private static StoredSchema Stored(int version, AvroSchema schema) =>
        new(new RegisteredSchema("s", version, version, "AVRO", schema.ToString(), [], false));

    [Theory]
    // v1 {a}, v2 {a, b default}, candidate {b default} (drops a, which v1 needs with no default)
    [InlineData("NONE", true)]
    [InlineData("BACKWARD", true)]
    [InlineData("BACKWARD_TRANSITIVE", true)]
    [InlineData("FORWARD", true)]
    [InlineData("FORWARD_TRANSITIVE", false)]
    [InlineData("FULL", true)]
    [InlineData("FULL_TRANSITIVE", false)]
    public void Levels_check_the_latest_or_every_version_in_their_directions(string level, bool compatible)
    {
        var v1 = Record("""{"name":"a","type":"int"}""");
        var v2 = Record("""{"name":"a","type":"int","default":0},{"name":"b","type":"int","default":0}""");
        var candidate = Record("""{"name":"b","type":"int","default":0}""");
        Assert.Equal(compatible, SchemaTypes.Check(level, candidate, [Stored(1, v1), Stored(2, v2)]).Count == 0);
    }

    [Theory]
    // Adding a field without a default: old data lacks it (backward breaks), old readers ignore it (forward holds).
    [InlineData("BACKWARD", false)]
    [InlineData("FORWARD", true)]
    [InlineData("FULL", false)]
    public void Adding_a_required_field(string level, bool compatible)
    {
        var v1 = Record("""{"name":"a","type":"int"}""");
        var candidate = Record("""{"name":"a","type":"int"},{"name":"b","type":"int"}""");
        Assert.Equal(compatible, SchemaTypes.Check(level, candidate, [Stored(1, v1)]).Count == 0);
    }

    [Fact]
    public void Invalid_schemas_and_levels_are_refused_with_Confluents_codes()
    {
        Assert.Equal(42201, Assert.Throws<SchemaRegistryException>(() => SchemaTypes.Parse("AVRO", """{"type":"recrd"}""", [])).ErrorCode);
        Assert.Equal(42201, Assert.Throws<SchemaRegistryException>(() => SchemaTypes.Parse("AVRO", "{", [])).ErrorCode);
        Assert.Equal(42201, Assert.Throws<SchemaRegistryException>(() => SchemaTypes.Normalize("JSON")).ErrorCode);
        Assert.Equal(42203, Assert.Throws<SchemaRegistryException>(() => SchemaTypes.Level("SOMETIMES")).ErrorCode);
        Assert.Equal("FULL", SchemaTypes.Level("full"));
    }
}
