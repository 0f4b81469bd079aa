namespace OrleansConnect.Grains.Worker;

/// <summary>Bounds what a source task has sent and Kafka has not acknowledged yet, in records and in bytes (key and
/// value), as Kafka's producer bounds its buffer with buffer.memory. Whatever a record in flight keeps alive (its
/// offset, librdkafka's copy of its bytes) survives several garbage collections, so a bound in bytes keeps both the
/// RSS and the GC's copying small for large records. A sender that finds no room waits until a quarter of the budget
/// is free again: the delivery reports then wake it once for many records, not once per record.</summary>
internal sealed class InFlightBudget(int maxRecords, long maxBytes)
{
    private readonly Lock _gate = new();
    private int _records;
    private long _bytes;
    private TaskCompletionSource? _room;

    /// <summary>Takes room for one record of <paramref name="bytes"/>; one record always fits when none is in flight.</summary>
    public ValueTask AcquireAsync(long bytes, CancellationToken ct)
    {
        lock (_gate)
        {
            if (TryTake(bytes)) return ValueTask.CompletedTask;
        }
        return WaitAsync(bytes, ct);
    }

    private async ValueTask WaitAsync(long bytes, CancellationToken ct)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (TryTake(bytes)) return;
                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await room.WaitAsync(ct);
        }
    }

    private bool TryTake(long bytes)
    {
        if (_records > 0 && (_records >= maxRecords || _bytes + bytes > maxBytes)) return false;
        _records++;
        _bytes += bytes;
        return true;
    }

    /// <summary>A record of <paramref name="bytes"/> was acknowledged or refused.</summary>
    public void Release(long bytes)
    {
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            _records--;
            _bytes -= bytes;
            if (_room is not null && (_records == 0 || (_records <= maxRecords / 4 * 3 && _bytes <= maxBytes / 4 * 3)))
                (room, _room) = (_room, null);
        }
        room?.TrySetResult();
    }
}
