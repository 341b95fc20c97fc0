namespace Virtwire.TestKit;

/// <summary>Finds the repository root (the folder holding Virtwire.slnx) from the test's output directory.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Virtwire.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Virtwire.slnx) above " + AppContext.BaseDirectory);
    });

    public static string Path => Root.Value;
}
