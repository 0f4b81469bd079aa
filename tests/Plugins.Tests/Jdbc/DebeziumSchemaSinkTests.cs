using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Plugins.Jdbc;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>What the JDBC sink makes of Debezium's semantic types: Confluent's dialect maps by the Connect type and
/// treats only Connect's Decimal, Date, Time and Timestamp specially, so io.debezium.* names land as their base type.</summary>
public sealed class DebeziumSchemaSinkTests
{
    private static Schema Named(SchemaBuilder builder, string name) => builder.Name(name).Version(1).Optional().Build();

    [Theory]
    [InlineData("io.debezium.time.Date", SchemaType.Int32, "INT")]
    [InlineData("io.debezium.time.Time", SchemaType.Int32, "INT")]
    [InlineData("io.debezium.time.MicroTime", SchemaType.Int64, "BIGINT")]
    [InlineData("io.debezium.time.Timestamp", SchemaType.Int64, "BIGINT")]
    [InlineData("io.debezium.time.MicroTimestamp", SchemaType.Int64, "BIGINT")]
    [InlineData("io.debezium.time.ZonedTimestamp", SchemaType.String, "TEXT")]
    [InlineData("io.debezium.data.Uuid", SchemaType.String, "TEXT")]
    [InlineData("io.debezium.data.Json", SchemaType.String, "TEXT")]
    [InlineData("io.debezium.data.Enum", SchemaType.String, "TEXT")]
    public void Debezium_semantic_types_are_created_as_their_connect_base_type(string name, SchemaType type, string sqlType)
    {
        var builder = type switch
        {
            SchemaType.Int32 => SchemaBuilder.Int32(),
            SchemaType.Int64 => SchemaBuilder.Int64(),
            _ => SchemaBuilder.String(),
        };
        var schema = Named(builder, name);
        Assert.Equal(sqlType, PostgresDialect.SqlType(schema));
        Assert.Equal(PostgresDialect.DbType(type switch { SchemaType.Int32 => Schema.Int32Schema, SchemaType.Int64 => Schema.Int64Schema, _ => Schema.StringSchema }),
            PostgresDialect.DbType(schema));
    }

    [Fact]
    public void Connect_logical_types_from_time_precision_mode_connect_keep_their_sql_types()
    {
        Assert.Equal("DATE", PostgresDialect.SqlType(OrleansConnect.Connect.Data.Date.Builder().Optional().Build()));
        Assert.Equal("TIME", PostgresDialect.SqlType(OrleansConnect.Connect.Data.Time.Builder().Optional().Build()));
        Assert.Equal("TIMESTAMP", PostgresDialect.SqlType(Timestamp.Builder().Optional().Build()));
        Assert.Equal("DECIMAL", PostgresDialect.SqlType(ConnectDecimal.Builder(3).Parameter("connect.decimal.precision", "12").Optional().Build()));
    }

    [Fact]
    public void A_variable_scale_decimal_struct_has_no_column_type_as_in_confluents_sink()
    {
        var schema = SchemaBuilder.Struct().Name("io.debezium.data.VariableScaleDecimal").Version(1)
            .Field("scale", Schema.Int32Schema).Field("value", Schema.BytesSchema).Optional().Build();
        var e = Assert.Throws<ConnectException>(() => PostgresDialect.SqlType(schema));
        Assert.Equal("io.debezium.data.VariableScaleDecimal (STRUCT) type doesn't have a mapping to the SQL database column type", e.Message);
    }
}
