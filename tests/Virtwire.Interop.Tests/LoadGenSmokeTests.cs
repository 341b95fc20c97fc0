using Virtwire.TestKit;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>The load harness's smoke mode runs with the tests, so it cannot rot; its timings are reported, never asserted.</summary>
public sealed class LoadGenSmokeTests
{
    [Fact]
    public async Task LoadHarness_SmokeMode_RunsBothDaemonsAndPrintsTheTable()
    {
        RealLibvirt.Require();
        var harness = RepositoryRoot.BuildOutput("bench/Virtwire.LoadGen", "Virtwire.LoadGen.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [harness, "--smoke"], timeout: TimeSpan.FromMinutes(3), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("| dom.info, sequential (calls/s)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| list-all, 100 domains (ms)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| client CPU µs per dom.info vs libvirtd (python3-libvirt → Virtwire.Client)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| client CPU µs per dom.info vs libvirtd (python3-libvirt → raw socket floor)", result.Stdout, StringComparison.Ordinal);
    }
}
