using System.Diagnostics;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Security;

/// <summary>Runs the silo binary for a one-shot command (users add/remove/list) and captures what it printed.</summary>
public static class SiloCommand
{
    public sealed record Result(int Code, string Output, string Error)
    {
        public override string ToString() => $"exit {Code}\nstdout: {Output}\nstderr: {Error}";
    }

    public static async Task<Result> RunAsync(IEnumerable<string> args, string? input = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(RepositoryPaths.SiloDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    public static async Task AddUserAsync(string file, string user, string role, string password)
    {
        var result = await RunAsync(["users", "add", "--file", file, "--user", user, "--role", role, "--password", password]);
        Assert.True(result.Code == 0, result.ToString());
    }
}
