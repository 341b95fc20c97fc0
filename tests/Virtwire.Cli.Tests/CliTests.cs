using System.Text.RegularExpressions;
using Virtwire.Cli;
using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.TestKit.Captures;

namespace Virtwire.Cli.Tests;

/// <summary>The CLI's output against what real virsh printed in the recorded sessions.</summary>
public sealed class CliTests
{
    private static async Task<(int Status, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        await using (var session = new CliSession(output, error))
        {
            var status = await CliApp.RunAsync(session, args, TestContext.Current.CancellationToken);
            return (status, output.ToString(), error.ToString());
        }
    }

    private static string Recorded(string name) => File.ReadAllText(Path.Combine(CaptureFile.Directory, name + ".out"));

    private static string MaskCpuTime(string text) => Regex.Replace(text, @"CPU time:\s+\d+\.\ds", "CPU time: N");

    [Fact]
    public async Task ListAll_MatchesRecordedVirshOutput()
    {
        var (status, output, _) = await RunAsync("-c", "test:///default", "list", "--all");
        Assert.Equal(0, status);
        Assert.Equal(Recorded("list-all"), output);
    }

    [Fact]
    public async Task DomInfo_MatchesRecordedVirshOutput()
    {
        var (status, output, _) = await RunAsync("-c", "test:///default", "dominfo", "test");
        Assert.Equal(0, status);
        Assert.Equal(MaskCpuTime(Recorded("dominfo")), MaskCpuTime(output));
    }

    [Fact]
    public async Task DestroyStart_MatchesRecordedVirshOutput()
    {
        var (status, output, _) = await RunAsync("-c", "test:///default", "destroy test; start test");
        Assert.Equal(0, status);
        Assert.Equal(Recorded("destroy-start"), output);
    }

    [Fact]
    public async Task Failures_PrintVirshErrors_AndTheLastCommandSetsTheStatus()
    {
        var (status, output, error) = await RunAsync("-c", "test:///default", "dominfo nosuch; suspend test; suspend test; list");
        Assert.Equal(0, status);
        Assert.Equal("error: failed to get domain 'nosuch'\nerror: Failed to suspend domain 'test'\nerror: internal error: domain 'test' not running\n", error);
        Assert.Contains("Domain 'test' suspended", output, StringComparison.Ordinal);
        var (failed, _, _) = await RunAsync("-c", "test:///default", "list; dominfo nosuch");
        Assert.Equal(1, failed);
    }

    [Fact]
    public async Task Json_IsMachineReadable()
    {
        var (_, output, _) = await RunAsync("-c", "test:///default", "--json", "list", "--all");
        var array = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray();
        Assert.Equal("test", (string?)array[0]!["name"]);
        Assert.Equal("running", (string?)array[0]!["state"]);
    }

    [Fact]
    public void EventLines_MatchRecordedVirshEventOutput()
    {
        var recorded = Recorded("events").Split('\n').Where(l => l.StartsWith("event '", StringComparison.Ordinal)).ToArray();
        var dom = new VirtDomainHandle("test", default, 1);
        string[] ours =
        [
            EventCommands.Describe(new(dom, DomainLifecycleEvent.Suspended, 0)),
            EventCommands.Describe(new(dom, DomainLifecycleEvent.Resumed, 0)),
            EventCommands.Describe(new(dom, DomainLifecycleEvent.Stopped, 1)),
            EventCommands.Describe(new(dom, DomainLifecycleEvent.Started, 0)),
        ];
        Assert.Equal(recorded, ours);
    }

    [Theory]
    [InlineData("list --all; dominfo test", new[] { "list --all", "dominfo test" })]
    [InlineData("define '/tmp/a b.xml';;  start x ", new[] { "define /tmp/a b.xml", "start x" })]
    public void Split_HonoursSemicolonsAndQuotes(string text, string[] expected) =>
        Assert.Equal(expected, CliApp.Split(text).Select(words => string.Join(' ', words)));

    [Theory]
    [InlineData("1048576", 1048576ul)]
    [InlineData("1G", 1048576ul)]
    [InlineData("512MiB", 524288ul)]
    public void ScaledSizes_DefaultToKiB(string text, ulong kib) => Assert.Equal(kib, DomainCommands.ParseScaled(text));
}
