using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using Xunit;

namespace OrleansConnect.Tests.Data;

/// <summary>ARRAY and MAP schemas without element schemas, which Kafka's Values parser gives to lists and maps whose
/// elements have no common type.</summary>
public class MissingElementSchemaTests
{
    private static void AssertInvalid(Schema schema, object value, string message) =>
        Assert.Equal(message, Assert.Throws<DataException>(() => Schema.ValidateValue("field", schema, value)).Message);

    // ConnectSchemaTest.testValidateList, "Null element schema".
    [Fact]
    public void A_value_cannot_be_validated_against_a_missing_element_schema_ConnectSchemaTest_testValidateList()
    {
        var nullElements = SchemaBuilder.ArrayOfNull().Build();
        const string message = "No schema defined for element of array field: \"field\"";
        AssertInvalid(nullElements, new List<object?>(), message);
        AssertInvalid(nullElements, new List<object?> { "hello" }, message);
        AssertInvalid(nullElements, new List<object?> { null }, message);
        AssertInvalid(nullElements, new List<object?> { true }, message);
    }

    // ConnectSchemaTest.testValidateMap, "Null key schema" and "Null value schema".
    [Fact]
    public void A_value_cannot_be_validated_against_missing_key_or_value_schemas_ConnectSchemaTest_testValidateMap()
    {
        var nullKeys = SchemaBuilder.MapOfNull().Build();
        AssertInvalid(nullKeys, new Dictionary<object, object?>(), "No schema defined for key of map field: \"field\"");
        AssertInvalid(nullKeys, new Dictionary<object, object?> { ["key"] = "value" }, "No schema defined for key of map field: \"field\"");
        var nullValues = SchemaBuilder.MapWithNullValues(Schema.OptionalStringSchema).Build();
        AssertInvalid(nullValues, new Dictionary<object, object?>(), "No schema defined for value of map field: \"field\"");
        AssertInvalid(nullValues, new Dictionary<object, object?> { ["key"] = true }, "No schema defined for value of map field: \"field\"");
    }

    [Fact]
    public void The_schema_reports_no_element_schema_and_keeps_value_equality()
    {
        var schema = SchemaBuilder.ArrayOfNull().Build();
        Assert.Equal(SchemaType.Array, schema.Type);
        Assert.Null(schema.ValueSchemaOrNull);
        Assert.Throws<DataException>(() => schema.ValueSchema);
        Assert.Equal(SchemaBuilder.ArrayOfNull().Build(), schema);
        Assert.NotEqual(SchemaBuilder.Array(Schema.StringSchema).Build(), schema);
        Assert.Equal(SchemaBuilder.MapWithNullValues(Schema.StringSchema).Build(), SchemaBuilder.From(SchemaBuilder.MapWithNullValues(Schema.StringSchema).Build()).Build());
        // SchemaBuilder.array(null) / map(null, ...) stay refused, as Kafka's public builders.
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Array(null!));
    }

    // ConnectHeaders.checkSchemaMatches checks the value's class against the schema's type only, so a list parsed
    // with no common element type can be a header (InsertHeader adds it this way).
    [Fact]
    public void A_header_may_hold_a_list_without_element_schema_ConnectHeaders_java()
    {
        var headers = new ConnectHeaders().Add("h", new SchemaAndValue(SchemaBuilder.ArrayOfNull().Build(), new List<object?> { (sbyte)1, "a" }));
        Assert.Equal(SchemaType.Array, headers.LastWithName("h")!.Schema!.Type);
        var e = Assert.Throws<DataException>(() => headers.Add("x", "text", SchemaBuilder.ArrayOfNull().Build()));
        Assert.Equal("The value text is not compatible with the schema Schema{ARRAY}", e.Message);
        // The same shallow check lets an Integer stand for a Date header, and a Date for an INT64 Timestamp header.
        headers.Add("d", 5, Date.Schema()).Add("ts", new LogicalTime(long.MaxValue), Timestamp.Schema());
        Assert.Throws<DataException>(() => headers.Add("t", new LogicalTime(0), Schema.Int64Schema));
    }
}
