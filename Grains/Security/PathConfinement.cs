using OrleansConnect.Connect.Config;

namespace OrleansConnect.Grains.Security;

/// <summary>A list of allowed directories, checked against canonical paths: absolute, no "." or "..", every existing
/// symbolic link along the way replaced by its target. A path is allowed when it is one of the directories or lies
/// below one. An empty list allows everything.</summary>
public sealed class PathConfinement
{
    private readonly List<string> _allowed;

    public PathConfinement(IEnumerable<string> directories)
    {
        _allowed = directories.Select(d => d.Trim()).Where(d => d.Length > 0).Select(Canonical).Distinct(StringComparer.Ordinal).ToList();
    }

    public static PathConfinement Parse(string? commaList) => new((commaList ?? "").Split(','));

    public bool Enabled => _allowed.Count > 0;

    public IReadOnlyList<string> Directories => _allowed;

    public bool IsAllowed(string path)
    {
        if (!Enabled) return true;
        if (!Path.IsPathFullyQualified(path)) return false;
        var canonical = Canonical(path);
        return _allowed.Any(dir => canonical == dir || canonical.StartsWith(dir.EndsWith('/') ? dir : dir + "/", StringComparison.Ordinal));
    }

    /// <summary>The path with "." and ".." removed and symbolic links resolved component by component (a link may point
    /// above the allowed directory); components that do not exist yet are kept as written.</summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var hops = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            // Also a dangling link: writing through it would create its target, wherever that is.
            if (info.LinkTarget is not null)
            {
                if (++hops > 40) throw new ConfigException($"Too many symbolic links in {path}");
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                // The target is canonical up to its own parents' links: canonicalise it again with the rest appended.
                var rest = string.Join(Path.DirectorySeparatorChar, parts[(i + 1)..]);
                return Canonical(rest.Length == 0 ? target!.FullName : Path.Combine(target!.FullName, rest));
            }
            current = next;
        }
        return Path.TrimEndingDirectorySeparator(current) is { Length: > 0 } trimmed ? trimmed : root;
    }
}
