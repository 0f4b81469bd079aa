using OrleansConnect.Throughput;

// Usage: OrleansConnect.Throughput [lines] [--partitions N] [--line-bytes N] [--poll-ms N] [--repo DIR] [--timeout SECONDS] [--keep]
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var workDir = Directory.CreateTempSubdirectory("orleansconnect-bench-").FullName;
var succeeded = false;
try
{
    var results = await new Benchmark(options, workDir, Console.Out).RunAsync(cancellation.Token);
    Console.WriteLine();
    Console.WriteLine(ResultTable.Format(results));
    Console.WriteLine();
    Console.WriteLine("(a) from POST /connectors (kcat: process start) to the first record in the topic or file.");
    Console.WriteLine("(b) records/s between the 10 % and 90 % marks; × kcat: sources against kcat -P, sinks against kcat -G with the same consumer setting (both join a group).");
    Console.WriteLine("group assigned: when the group first gave the consumer partitions (silo log / kcat's stderr); first after assigned = (a) minus that.");
    succeeded = true;
    return 0;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine($"Cancelled; files kept in {workDir}");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Benchmark failed: {e.Message}");
    Console.Error.WriteLine($"Logs and files kept in {workDir}");
    return 1;
}
finally
{
    if (succeeded && !options.KeepWorkDir) Directory.Delete(workDir, recursive: true);
    else if (succeeded) Console.WriteLine($"Files kept in {workDir}");
}
