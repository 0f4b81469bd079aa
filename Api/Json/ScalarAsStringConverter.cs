using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Json;

/// <summary>Reads a string the way Connect's Jackson reads a String: a JSON number or boolean becomes its text
/// ({"tasks.max": 1} is "1"), while an object or array is an error.</summary>
internal sealed class ScalarAsStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            // The literal text, as written: 1.50 stays "1.50".
            JsonTokenType.Number => reader.HasValueSequence
                ? Encoding.UTF8.GetString(reader.ValueSequence)
                : Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            JsonTokenType.StartObject => throw new JsonException("expected a string value but found an object"),
            JsonTokenType.StartArray => throw new JsonException("expected a string value but found an array"),
            _ => throw new JsonException($"expected a string value but found {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);

    // Map keys are property names and stay as they are.
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);
}
