namespace OrleansConnect.Runtime.Tests.Grains;

public interface IReminderGrain : IGrainWithStringKey, IRemindable
{
    Task Start(string name, TimeSpan due, TimeSpan period);
    Task<bool> Stop(string name);
    Task<bool> Has(string name);
    Task FailNextTicks(int count);
}

public sealed class ReminderGrain : Grain, IReminderGrain
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> FailuresLeft = new();

    public Task Start(string name, TimeSpan due, TimeSpan period) => RegisterOrUpdateReminder(name, due, period);

    public async Task<bool> Stop(string name)
    {
        var reminder = await GetReminder(name);
        if (reminder is null) return false;
        await UnregisterReminder(reminder);
        return true;
    }

    public async Task<bool> Has(string name) => await GetReminder(name) is not null;

    public Task FailNextTicks(int count)
    {
        FailuresLeft[GetPrimaryKeyString()] = count;
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Probe.For(GetPrimaryKeyString()).ReminderTicks.Enqueue((SiloId, reminderName, status));
        var key = GetPrimaryKeyString();
        if (FailuresLeft.TryGetValue(key, out var left) && left > 0)
        {
            FailuresLeft[key] = left - 1;
            throw new InvalidOperationException("reminder tick failed on purpose");
        }
        return Task.CompletedTask;
    }
}

public interface INotRemindableGrain : IGrainWithStringKey
{
    Task TryRegister();
}

public sealed class NotRemindableGrain : Grain, INotRemindableGrain
{
    public Task TryRegister() => RegisterOrUpdateReminder("r", TimeSpan.Zero, TimeSpan.FromSeconds(1));
}
