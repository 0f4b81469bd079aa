namespace OrleansConnect.Runtime;

/// <summary>Marker for grain interfaces. Every method returns Task or Task&lt;T&gt;; arguments and results
/// are plain data (JSON-serializable) so calls can later cross silos.</summary>
public interface IGrain { }

/// <summary>A grain identified by a string key (Orleans' IGrainWithStringKey).</summary>
public interface IGrainWithStringKey : IGrain { }

/// <summary>A grain that wants durable reminders.</summary>
public interface IRemindable : IGrain
{
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>What a reminder tick knows about its schedule.</summary>
public readonly record struct TickStatus(DateTimeOffset FirstTickTime, TimeSpan Period, DateTimeOffset CurrentTickTime);

/// <summary>A registered durable reminder.</summary>
public interface IGrainReminder
{
    string ReminderName { get; }
}
