using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Tests.Worker;

/// <summary>The silo's task budget: a number of tasks when set, weighed by kind when sized from the machine.</summary>
public sealed class TaskSlotsTests
{
    [Fact]
    public void A_set_budget_counts_tasks_of_either_kind()
    {
        var slots = new TaskSlots(3);
        Assert.True(slots.TryTake(sink: true));
        Assert.True(slots.TryTake(sink: false));
        Assert.True(slots.TryTake(sink: true));
        Assert.False(slots.TryTake(sink: false));
        slots.Release(sink: true);
        Assert.True(slots.TryTake(sink: false));
        Assert.Equal(3, slots.Used);
        Assert.Contains("tasks.max.per.silo (3)", slots.Describe());
    }

    [Fact]
    public void The_default_budget_fits_eight_source_tasks_for_each_sink_task()
    {
        var sinks = TaskSlots.Default();
        var sinkCount = 0;
        while (sinks.TryTake(sink: true)) sinkCount++;
        var sources = TaskSlots.Default();
        var sourceCount = 0;
        while (sources.TryTake(sink: false)) sourceCount++;

        Assert.True(sinkCount >= 1);
        Assert.InRange(sourceCount, sinkCount * 8, sinkCount * 8 + 7);
        Assert.Equal(sourceCount, sources.Used);
        // A released sink makes room for eight sources (plus what the sinks left over).
        sinks.Release(sink: true);
        var added = 0;
        while (sinks.TryTake(sink: false)) added++;
        Assert.Equal(8 + (sinks.Capacity - sinkCount * 16) / 2, added);
        Assert.Contains("a sink task takes 16", sinks.Describe());
    }
}
