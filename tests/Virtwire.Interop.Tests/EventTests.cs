using System.Diagnostics;
using System.Text;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>Lifecycle events reach real libvirt clients from virtwired exactly as from libvirtd.</summary>
[Collection(DaemonPairCollection.Name)]
public sealed class EventTests(DaemonPair pair)
{
    // Registers (callback style through the default event loop, or libvirtaio), says "ready", then prints
    // every lifecycle event until it has seen the expected number.
    private const string Watcher = """
        import sys, threading, libvirt
        uri, style, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
        seen = []
        done = threading.Event()
        def on_event(conn, dom, event, detail, opaque):
            print('%s %s %d %d' % (opaque, dom.name(), event, detail), flush=True)
            seen.append(1)
            if len(seen) >= expected:
                done.set()
        if style == 'asyncio':
            import asyncio, libvirtaio
            async def main():
                libvirtaio.virEventRegisterAsyncIOImpl()
                c = libvirt.open(uri)
                c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, 'any')
                print('ready', flush=True)
                for _ in range(200):
                    if done.is_set():
                        return
                    await asyncio.sleep(0.05)
            asyncio.run(main())
        else:
            libvirt.virEventRegisterDefaultImpl()
            c = libvirt.open(uri)
            c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, 'any')
            c.domainEventRegister(on_event, 'legacy')
            print('ready', flush=True)
            while not done.is_set():
                libvirt.virEventRunDefaultImpl()
        """;

    private static async Task<string> WatchAsync(DaemonProcess daemon, string style, int expected, string actions, CancellationToken ct)
    {
        var info = new ProcessStartInfo(RealLibvirt.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", Watcher, daemon.UnixUri, style, expected.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            // The registration is in place once the watcher says so: only then act.
            Assert.Equal("ready", await process.StandardOutput.ReadLineAsync(deadline.Token));
            var action = await DaemonPair.VirshAsync(daemon.UnixUri, actions, ct);
            Assert.Equal(0, action.ExitCode);
            var output = await process.StandardOutput.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            return output + await stderr;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Theory]
    [InlineData("default", 12)]
    [InlineData("asyncio", 6)]
    public async Task PythonEventLoops_ReceiveTheSameLifecycleEvents(string style, int expected)
    {
        var (libvirtd, virtwired) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("vw-ev-").FullName;
        var xml = Path.Combine(dir, "ev.xml");
        await File.WriteAllTextAsync(xml, "<domain type='test'><name>ev</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a03</uuid><memory>1024</memory><os><type>hvm</type></os></domain>", ct);
        var actions = $"suspend test; resume test; destroy test; start test; define {xml}; undefine ev";
        var fromLibvirtd = await WatchAsync(libvirtd, style, expected, actions, ct);
        var fromVirtwired = await WatchAsync(virtwired, style, expected, actions, ct);
        Assert.Contains("test 3 0", fromLibvirtd, StringComparison.Ordinal);
        Assert.Equal(fromLibvirtd, fromVirtwired);
    }

    [Fact]
    public async Task VirshEvent_PrintsTheSameLinesForBothDaemons()
    {
        var (libvirtd, virtwired) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(await VirshEventAsync(libvirtd, ct), await VirshEventAsync(virtwired, ct));
    }

    /// <summary>
    /// Runs `virsh event --all --loop` and, once it demonstrably receives events (a suspend/resume pair
    /// shows up), drives destroy and start; returns what it printed from the destroy on.
    /// </summary>
    private static async Task<string> VirshEventAsync(DaemonProcess daemon, CancellationToken ct)
    {
        var info = new ProcessStartInfo("stdbuf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-oL", RealLibvirt.Virsh, "-c", daemon.UnixUri, "event --all --loop --timeout 8" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info)!;
        var lines = new List<string>();
        var seenResume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line.Contains("Resumed", StringComparison.Ordinal))
                {
                    seenResume.TrySetResult();
                }
            }
        }, ct);

        var deadline = DateTime.UtcNow.AddSeconds(6);
        while (!seenResume.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            await DaemonPair.VirshAsync(daemon.UnixUri, "suspend test; resume test", ct);
            await Task.WhenAny(seenResume.Task, Task.Delay(200, ct));
        }

        Assert.True(seenResume.Task.IsCompleted, "virsh event never reported an event");
        await DaemonPair.VirshAsync(daemon.UnixUri, "destroy test; start test", ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        await reader;
        var text = new StringBuilder();
        var from = lines.FindIndex(l => l.Contains("Stopped", StringComparison.Ordinal));
        Assert.True(from >= 0, string.Join('\n', lines));
        foreach (var line in lines.Skip(from))
        {
            text.AppendLine(line.StartsWith("events received:", StringComparison.Ordinal) ? "events received: N" : line);
        }

        return text.ToString();
    }
}
