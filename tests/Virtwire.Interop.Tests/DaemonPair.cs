using System.Text.RegularExpressions;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>Real libvirtd and virtwired, started from the same libvirtd.conf on free loopback ports.</summary>
public sealed class DaemonPair : IAsyncLifetime
{
    public DaemonProcess? Libvirtd { get; private set; }

    public DaemonProcess? Virtwired { get; private set; }

    public string? Unavailable { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(RealLibvirt.Libvirtd) || !File.Exists(RealLibvirt.Virsh) || Environment.UserName != "root")
        {
            Unavailable = "real libvirt is not installed here (or not root)";
            return;
        }

        Libvirtd = await DaemonProcess.StartLibvirtdAsync();
        Virtwired = await DaemonProcess.StartVirtwiredAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Virtwired is not null)
        {
            await Virtwired.DisposeAsync();
        }

        if (Libvirtd is not null)
        {
            await Libvirtd.DisposeAsync();
        }
    }

    /// <summary>Both daemons, or a skip (a failure under CI) when the real peer cannot run here.</summary>
    public (DaemonProcess Libvirtd, DaemonProcess Virtwired) Require()
    {
        RealLibvirt.Require();
        if (Unavailable is not null)
        {
            Assert.Fail(Unavailable);
        }

        return (Libvirtd!, Virtwired!);
    }

    /// <summary>Runs one virsh process with several commands (so the test driver state carries across them).</summary>
    public static Task<ProcessResult> VirshAsync(string uri, string commands, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(RealLibvirt.Virsh, ["-c", uri, commands], cancellationToken: cancellationToken);

    public static Task<ProcessResult> PythonAsync(string uri, string script, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(RealLibvirt.Python, ["-c", script, uri], cancellationToken: cancellationToken);

    /// <summary>
    /// Removes what legitimately differs between two daemons: the port in URIs, and the test driver's
    /// CPU time, which is the wall clock at the moment of the call.
    /// </summary>
    public static string Normalize(string text, DaemonProcess daemon) =>
        Regex.Replace(
            Regex.Replace(text.Replace($":{daemon.Port}/", ":PORT/", StringComparison.Ordinal).Replace(daemon.SocketPath, "SOCKET", StringComparison.Ordinal),
                @"CPU time:\s+\d+\.\ds", "CPU time:       N"),
            @"cpu[_.]time['""]?[:=,]?\s*\d+", "cpu_time N");
}

[CollectionDefinition(Name)]
public sealed class DaemonPairCollection : ICollectionFixture<DaemonPair>
{
    public const string Name = "daemon pair";
}
