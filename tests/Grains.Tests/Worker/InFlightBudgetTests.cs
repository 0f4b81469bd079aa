using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Tests.Worker;

/// <summary>The bound on a source task's unacknowledged records, by count and by bytes.</summary>
public sealed class InFlightBudgetTests
{
    [Fact]
    public async Task A_sender_over_the_byte_budget_waits_until_a_quarter_of_it_is_free()
    {
        var budget = new InFlightBudget(maxRecords: 100, maxBytes: 1000);
        for (var i = 0; i < 4; i++) await budget.AcquireAsync(250, CancellationToken.None);
        var waiting = budget.AcquireAsync(250, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        budget.Release(250); // 750 in flight: three quarters, room again
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_release_that_leaves_the_budget_nearly_full_does_not_wake_the_sender()
    {
        var budget = new InFlightBudget(maxRecords: 100, maxBytes: 1000);
        for (var i = 0; i < 10; i++) await budget.AcquireAsync(100, CancellationToken.None);
        var waiting = budget.AcquireAsync(100, CancellationToken.None).AsTask();
        budget.Release(100);
        budget.Release(100);
        Assert.False(waiting.IsCompleted); // 800 in flight
        budget.Release(100);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10)); // 700: room again
    }

    [Fact]
    public async Task One_record_larger_than_the_budget_goes_when_nothing_else_is_in_flight()
    {
        var budget = new InFlightBudget(maxRecords: 100, maxBytes: 1000);
        await budget.AcquireAsync(5000, CancellationToken.None);
        var next = budget.AcquireAsync(1, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        budget.Release(5000);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_record_count_is_bounded_too_and_a_wait_can_be_cancelled()
    {
        var budget = new InFlightBudget(maxRecords: 2, maxBytes: 1 << 20);
        await budget.AcquireAsync(1, CancellationToken.None);
        await budget.AcquireAsync(1, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = budget.AcquireAsync(1, cancel.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
