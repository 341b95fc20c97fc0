namespace Virtwire.Fuzz;

/// <summary>Where the repository keeps the corpora, dictionaries and captures.</summary>
public static class FuzzPaths
{
    private static readonly Lazy<string?> RepositoryRoot = new(() =>
        FindRoot(AppContext.BaseDirectory) ?? FindRoot(Environment.CurrentDirectory));

    /// <summary>The folder holding Virtwire.slnx above the running binary or the current directory, if any.</summary>
    public static string? Root => RepositoryRoot.Value;

    public static string Captures => Path.Combine(RequireRoot(), "tests", "data", "captures");

    public static string Corpus => Path.Combine(RequireRoot(), "fuzz", "corpus");

    public static string CorpusOf(string target) => Path.Combine(Corpus, target);

    /// <summary>The AFL-format token dictionary of a target, or null when it has none.</summary>
    public static string? DictionaryOf(string target) =>
        Root is null ? null : Path.Combine(Root, "fuzz", "dict", target + ".dict") is var path && File.Exists(path) ? path : null;

    private static string RequireRoot() =>
        Root ?? throw new InvalidOperationException("cannot find the repository (Virtwire.slnx); pass --corpus DIR");

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Virtwire.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
