namespace OrleansConnect.Grains.Errors;

/// <summary>Connect's error-handling stages: where in a task's pipeline an operation failed. Their names
/// (<see cref="StageNames.ToConnectName"/>) are what the logs and the DLQ's __connect.errors.stage header show.</summary>
public enum Stage
{
    /// <summary>A task's poll() (source).</summary>
    TaskPoll,
    /// <summary>A task's put() (sink); also what the errant record reporter reports.</summary>
    TaskPut,
    /// <summary>A transformation, or the predicate guarding it.</summary>
    Transformation,
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    /// <summary>Producing a source record to Kafka.</summary>
    KafkaProduce,
    /// <summary>Consuming a record from Kafka.</summary>
    KafkaConsume,
}

public static class StageNames
{
    public static string ToConnectName(this Stage stage) => stage switch
    {
        Stage.TaskPoll => "TASK_POLL",
        Stage.TaskPut => "TASK_PUT",
        Stage.Transformation => "TRANSFORMATION",
        Stage.KeyConverter => "KEY_CONVERTER",
        Stage.ValueConverter => "VALUE_CONVERTER",
        Stage.HeaderConverter => "HEADER_CONVERTER",
        Stage.KafkaProduce => "KAFKA_PRODUCE",
        Stage.KafkaConsume => "KAFKA_CONSUME",
        _ => stage.ToString().ToUpperInvariant(),
    };
}
