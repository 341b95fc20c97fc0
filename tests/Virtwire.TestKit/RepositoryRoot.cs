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

    /// <summary>An assembly built by a project of this repository, in the configuration the tests themselves were built in.</summary>
    public static string BuildOutput(string projectDirectory, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = System.IO.Path.Combine(Root.Value, projectDirectory, "bin", configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assembly} is not built", path);
    }
}
