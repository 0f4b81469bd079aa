namespace OrleansConnect.Grains.Kafka;

/// <summary>Confluent.Kafka's consumer, flush, commit and metadata calls block the calling thread.
/// They run here on a dedicated thread so they never hold a thread-pool thread.</summary>
public static class KafkaBlocking
{
    public static Task<T> Run<T>(Func<T> call, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    public static Task Run(Action call, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
