namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Finds the repository and the built silo so tests can run it as a real process.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SiloDll
    {
        get
        {
            // The test assembly and the silo are built with the same configuration (Debug or Release).
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var path = Path.Combine(Root, "Silo", "bin", configuration, "net10.0", "OrleansConnect.Silo.dll");
            if (!File.Exists(path)) throw new FileNotFoundException($"The silo is not built at {path}; build the solution first.", path);
            return path;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OrleansConnect.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Could not find OrleansConnect.sln above " + AppContext.BaseDirectory);
    }
}
