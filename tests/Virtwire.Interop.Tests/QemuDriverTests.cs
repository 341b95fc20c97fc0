using System.Text;
using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.TestKit;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>
/// virtwired's QEMU driver running a real (tiny, TCG) guest: lifecycle, console stream, ACPI shutdown and reboot,
/// re-adoption after kill -9 of the daemon (a pending reboot included), and durable definitions; driven by Virtwire.Client, real virsh and python3-libvirt.
/// </summary>
public sealed class QemuDriverTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static TinyGuest RequireGuest()
    {
        RealLibvirt.Require();
        var missing = TinyGuest.Missing();
        if (missing is not null)
        {
            if (RealLibvirt.IsCi)
            {
                Assert.Fail($"QEMU guest prerequisite missing under CI: {missing}; .ci/run installs it");
            }

            Assert.Skip("QEMU guest prerequisite missing: " + missing);
        }

        return TinyGuest.Build(Path.Combine(Path.GetTempPath(), "virtwire-tiny-guest"));
    }

    [Fact]
    public async Task Client_RunsAGuestThroughItsWholeLife_AndReadoptsItAfterTheDaemonIsKilled()
    {
        var guest = RequireGuest();
        var ct = TestContext.Current.CancellationToken;
        var name = "tiny-" + Guid.NewGuid().ToString("N")[..8];
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            int id;
            await using (var conn = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct))
            {
                Assert.Equal("QEMU", await conn.GetTypeAsync(ct));
                await using var events = await conn.SubscribeDomainEventsAsync(cancellationToken: ct);
                var domain = await conn.DefineDomainAsync(guest.DomainXml(name), cancellationToken: ct);
                Assert.True(File.Exists(Path.Combine(daemon.DirectoryPath, "etc", "qemu", name + ".xml")));
                await ExpectEventAsync(events, DomainLifecycleEvent.Defined, ct);

                // Started paused, so that the console is attached before the guest prints its banner.
                domain = await domain.StartAsync(DomainCreateFlags.Paused, ct);
                Assert.True(domain.Id > 0);
                Assert.Equal((DomainState.Paused, (int)DomainPausedReason.User), await domain.GetStateAsync(ct));
                await using (var console = new ConsoleReader(await domain.OpenConsoleAsync(cancellationToken: ct)))
                {
                    await domain.ResumeAsync(ct);
                    await console.WaitForAsync(TinyGuest.Banner, ct);
                    await console.SendAsync("hello\n", ct);
                    await console.WaitForAsync("virtwire-guest: hello", ct);

                    // A second session is refused while this one holds the console, as in libvirt.
                    var busy = await Assert.ThrowsAsync<VirtException>(async () => await domain.OpenConsoleAsync(cancellationToken: ct));
                    Assert.Equal(Virtwire.Rpc.VirtErrorCode.OperationFailed, busy.Code);
                }

                await domain.SuspendAsync(ct);
                Assert.Equal((DomainState.Paused, (int)DomainPausedReason.User), await domain.GetStateAsync(ct));
                await domain.ResumeAsync(ct);
                Assert.Equal((DomainState.Running, (int)DomainRunningReason.Unpaused), await domain.GetStateAsync(ct));
                var info = await domain.GetInfoAsync(ct);
                Assert.Equal(128UL * 1024, info.MaxMemoryKiB);
                Assert.True(info.CpuTimeNs > 0);
                var memory = (await domain.GetMemoryStatsAsync(ct)).ToDictionary(s => s.Tag, s => s.Value);
                Assert.Equal(128UL * 1024, memory[DomainMemoryStatTag.ActualBalloon]);
                Assert.True(memory[DomainMemoryStatTag.Rss] > 0);

                // ACPI power button: the guest powers itself off; the domain ends shut off with reason "shutdown".
                await DrainAsync(events);
                await domain.ShutdownAsync(ct);
                await ExpectEventAsync(events, DomainLifecycleEvent.Stopped, ct, (int)DomainEventStoppedDetail.Shutdown);
                Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Shutdown), await domain.GetStateAsync(ct));

                domain = await domain.StartAsync(DomainCreateFlags.Paused, ct);
                id = domain.Id;
                Assert.True(id > 0);
                await using (var console = new ConsoleReader(await domain.OpenConsoleAsync(cancellationToken: ct)))
                {
                    await domain.ResumeAsync(ct);
                    await console.WaitForAsync(TinyGuest.Banner, ct);
                }

                // A reboot asked of a paused guest stays pending until it runs and answers the power button: here,
                // only after the daemon has been replaced, so the new one must learn of it from the status file.
                await domain.SuspendAsync(ct);
                await domain.RebootAsync(ct);
            }

            // kill -9 the daemon; the guest keeps running and the new daemon re-adopts it with the same id.
            daemon = await daemon.RestartVirtwiredAsync(ct);
            await using (var conn = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct))
            {
                await using var events = await conn.SubscribeDomainEventsAsync(cancellationToken: ct);
                var domain = await conn.LookupDomainByNameAsync(name, ct);
                Assert.Equal(id, domain.Id);
                Assert.Equal(DomainState.Paused, (await domain.GetStateAsync(ct)).State);
                await using (var console = new ConsoleReader(await domain.OpenConsoleAsync(cancellationToken: ct)))
                {
                    // Resumed, the guest powers off; the new daemon resets and resumes it, so it boots again.
                    await domain.ResumeAsync(ct);
                    await console.WaitForAsync("reboot: Power down", ct);
                    await console.WaitForAsync(TinyGuest.Banner, ct);
                    await console.SendAsync("again\n", ct);
                    await console.WaitForAsync("virtwire-guest: again", ct);
                }

                await ExpectRebootAsync(events, ct);
                Assert.Equal(id, domain.Id);
                Assert.Equal((DomainState.Running, (int)DomainRunningReason.Unpaused), await domain.GetStateAsync(ct));

                // No reboot pending now: the adopted guest's power-off ends its QEMU (which -no-shutdown keeps alive).
                await DrainAsync(events);
                await domain.ShutdownAsync(ct);
                await ExpectEventAsync(events, DomainLifecycleEvent.Stopped, ct, (int)DomainEventStoppedDetail.Shutdown);
                Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Shutdown), await domain.GetStateAsync(ct));

                domain = await domain.StartAsync(DomainCreateFlags.None, ct);
                await domain.DestroyAsync(cancellationToken: ct);
                Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Destroyed), await domain.GetStateAsync(ct));
                await domain.UndefineAsync(cancellationToken: ct);
                var gone = await Assert.ThrowsAsync<VirtException>(async () => await conn.LookupDomainByNameAsync(name, ct));
                Assert.Equal(Virtwire.Rpc.VirtErrorCode.NoDomain, gone.Code);
                Assert.False(File.Exists(Path.Combine(daemon.DirectoryPath, "etc", "qemu", name + ".xml")));
            }
        }
        finally
        {
            KillGuests(name);
            await daemon.DisposeAsync();
        }
    }

    // virsh console needs a terminal: a pseudo-terminal from Python's pty module stands in for the user.
    private const string VirshConsole = """
        import os, pty, select, sys, time, subprocess
        uri, name = sys.argv[1], sys.argv[2]
        pid, fd = pty.fork()
        if pid == 0:
            os.execv('/usr/bin/virsh', ['virsh', '-c', uri, 'console', name])
        seen = b''
        def wait(text):
            global seen
            deadline = time.time() + 60
            while text not in seen:
                left = deadline - time.time()
                r = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
                if not r:
                    sys.exit('timed out waiting for %r; saw %r' % (text, seen))
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    sys.exit('console closed before %r; saw %r' % (text, seen))
        wait(b'Escape character')
        subprocess.run(['/usr/bin/virsh', '-q', '-c', uri, 'resume', name], check=True, stdout=subprocess.DEVNULL)
        wait(b'virtwire-guest: ready')
        os.write(fd, b'ping\r')
        wait(b'virtwire-guest: ping')
        os.write(fd, b'\x1d')
        os.waitpid(pid, 0)
        print('console ok')
        """;

    // python3-libvirt waits for the lifecycle events of an ACPI shutdown, then restarts the guest.
    private const string PythonLifecycle = """
        import sys, threading, libvirt
        libvirt.virEventRegisterDefaultImpl()
        c = libvirt.open(sys.argv[1])
        d = c.lookupByName(sys.argv[2])
        stopped = threading.Event()
        seen = []
        def on_event(conn, dom, event, detail, opaque):
            seen.append((event, detail))
            if event == libvirt.VIR_DOMAIN_EVENT_STOPPED:
                stopped.set()
        c.domainEventRegisterAny(d, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
        def loop():
            while not stopped.is_set():
                libvirt.virEventRunDefaultImpl()
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        print('state', d.state())
        d.suspend(); print('suspended', d.state())
        d.resume(); print('resumed', d.state())
        d.shutdown()
        if not stopped.wait(60):
            sys.exit('no stopped event')
        print('events', [e for e in seen if e[0] == libvirt.VIR_DOMAIN_EVENT_STOPPED])
        print('after', d.state(), d.isActive())
        d.create(); print('restarted', d.state()[0], d.ID() > 0)
        """;

    /// <summary>A step of a scenario must succeed (else the failure names the daemon); returns what it printed.</summary>
    private static string Succeeded(DaemonProcess daemon, ProcessResult step)
    {
        Assert.True(step.ExitCode == 0, daemon.Name + ": " + step);
        return step.Stdout;
    }

    /// <summary>The scenario as virsh and python3-libvirt users run it; returns everything they printed.</summary>
    private static async Task<string> RunVirshAndPythonAsync(DaemonProcess daemon, string xml, string name, CancellationToken ct)
    {
        var uri = daemon.QemuUri;
        var output = new StringBuilder();
        try
        {
            output.Append(Succeeded(daemon, await DaemonPair.VirshAsync(uri, $"define {xml}; start {name} --paused; domstate {name} --reason", ct)));

            output.Append(Succeeded(daemon, await ProcessRunner.RunAsync(RealLibvirt.Python, ["-c", VirshConsole, uri, name], timeout: Patience, cancellationToken: ct)));

            // Memory statistics: the same tags in the same order; the resident set size is the process's own.
            var memory = Succeeded(daemon, await DaemonPair.VirshAsync(uri, $"dommemstat {name}", ct));
            output.Append(System.Text.RegularExpressions.Regex.Replace(memory, @"^rss \d+$", "rss N", System.Text.RegularExpressions.RegexOptions.Multiline));

            output.Append(Succeeded(daemon, await ProcessRunner.RunAsync(RealLibvirt.Python, ["-c", PythonLifecycle, uri, name], timeout: Patience, cancellationToken: ct)));

            output.Append(Succeeded(daemon, await DaemonPair.VirshAsync(uri, $"destroy {name}; domstate {name} --reason; undefine {name}; list --all --name", ct)));
            return output.ToString();
        }
        finally
        {
            KillGuests(name);
        }
    }

    [Fact]
    public Task Virsh_And_Python3Libvirt_DriveTheSameScenario_AgainstVirtwiredAndLibvirtd() =>
        AssertSameAsLibvirtdAsync(RunVirshAndPythonAsync, (name, xml) =>
            $"Domain '{name}' defined from {xml}\n\nDomain '{name}' started\n\npaused (user)\n\n" +
            "console ok\n" +
            "actual 131072\nlast_update 0\nrss N\n\n" +
            "state [1, 5]\nsuspended [3, 1]\nresumed [1, 5]\nevents [(5, 0)]\nafter [5, 1] 0\nrestarted 1 True\n" +
            $"Domain '{name}' destroyed\n\nshut off (destroyed)\n\nDomain '{name}' has been undefined\n\n\n");

    /// <summary>
    /// Runs a scenario with the tiny guest against virtwired, whose output must be <paramref name="expected"/> (of the
    /// domain's name and XML file), then against real libvirtd's QEMU driver — same guest, same clients — whose output
    /// must be the same.
    /// </summary>
    private static async Task AssertSameAsLibvirtdAsync(Func<DaemonProcess, string, string, CancellationToken, Task<string>> scenario,
        Func<string, string, string> expected, Func<string, string>? editXml = null)
    {
        var guest = RequireGuest();
        var ct = TestContext.Current.CancellationToken;
        var name = "tiny-" + Guid.NewGuid().ToString("N")[..8];
        var xml = Path.Combine(Directory.CreateTempSubdirectory("vw-qemu-").FullName, name + ".xml");
        await File.WriteAllTextAsync(xml, (editXml ?? (x => x))(guest.DomainXml(name)), ct);

        string ours;
        await using (var virtwired = await DaemonProcess.StartVirtwiredAsync(ct))
        {
            ours = await scenario(virtwired, xml, name, ct);
        }

        Assert.Equal(expected(name, xml), ours);
        await using var libvirtd = await DaemonProcess.StartLibvirtdAsync(null, qemu: true, ct);
        Assert.Equal(ours, await scenario(libvirtd, xml, name, ct));
    }

    // python3-libvirt reboots the running guest while virsh console (on a pseudo-terminal) watches it boot twice. The
    // events are collected until a suspend's event, which fences everything the reboot caused; then an ACPI shutdown.
    private const string PythonReboot = """
        import os, pty, select, sys, time, threading, libvirt
        uri, name = sys.argv[1], sys.argv[2]
        BANNER = b'virtwire-guest: ready'
        libvirt.virEventRegisterDefaultImpl()
        c = libvirt.open(uri)
        d = c.lookupByName(name)
        cond = threading.Condition()
        events = []
        def on_lifecycle(conn, dom, event, detail, opaque):
            with cond:
                events.append((event, detail))
                cond.notify_all()
        def on_reboot(conn, dom, opaque):
            with cond:
                events.append('reboot')
                cond.notify_all()
        c.domainEventRegisterAny(d, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, None)
        c.domainEventRegisterAny(d, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, on_reboot, None)
        def loop():
            while True:
                libvirt.virEventRunDefaultImpl()
        threading.Thread(target=loop, daemon=True).start()
        def until(what, test):
            deadline = time.time() + 90
            with cond:
                while not test():
                    left = deadline - time.time()
                    if left <= 0:
                        sys.exit('timed out waiting for %s; events %r' % (what, events))
                    cond.wait(left)
        pid, fd = pty.fork()
        if pid == 0:
            os.execv('/usr/bin/virsh', ['virsh', '-c', uri, 'console', name])
        seen = b''
        def read_until(what, test):
            global seen
            deadline = time.time() + 90
            while not test(seen):
                left = deadline - time.time()
                r = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
                if not r:
                    sys.exit('timed out waiting for %s on the console; saw %r' % (what, seen))
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    sys.exit('console closed before %s; saw %r' % (what, seen))
        read_until('virsh console', lambda s: b'Escape character' in s)
        d.resume()
        read_until('the banner', lambda s: BANNER in s)
        until('resumed', lambda: (4, 0) in events)
        first = d.ID()
        mark = len(events)
        d.reboot(0)
        if len(sys.argv) > 3 and sys.argv[3] == 'destroy':
            # on_reboot='destroy': the reboot is a shutdown, and the guest stays off.
            until('stopped', lambda: any(e != 'reboot' and e[0] == 5 for e in events[mark:]))
            print('reboot events', events[mark:])
            print('after', d.state(), d.isActive())
            os.waitpid(pid, 0)
            sys.exit(0)
        until('the reboot event', lambda: 'reboot' in events[mark:])
        read_until('the second banner', lambda s: s.count(BANNER) >= 2)
        os.write(fd, b'again\r')
        read_until('the echo', lambda s: b'virtwire-guest: again' in s)
        print('rebooted', d.state(), d.isActive(), d.ID() == first)
        d.suspend()
        until('suspended', lambda: (3, 0) in events[mark:])
        print('reboot events', events[mark:])
        # The guest's kernel says "reboot: Power down" only when it powered itself off: a hard reset would not.
        print('banners', seen.count(BANNER), 'power downs', seen.count(b'reboot: Power down'))
        d.resume()
        until('resumed', lambda: (4, 0) in events[mark:])
        os.write(fd, b'\x1d')
        os.waitpid(pid, 0)
        mark = len(events)
        d.shutdown()
        until('stopped', lambda: any(e != 'reboot' and e[0] == 5 for e in events[mark:]))
        print('shutdown events', events[mark:])
        print('after', d.state(), d.isActive())
        """;

    private static Task<string> RunRebootAsync(DaemonProcess daemon, string xml, string name, CancellationToken ct) =>
        RunRebootAsync(daemon, xml, name, "restart", ct);

    private static async Task<string> RunRebootAsync(DaemonProcess daemon, string xml, string name, string onReboot, CancellationToken ct)
    {
        var uri = daemon.QemuUri;
        var output = new StringBuilder();
        try
        {
            output.Append(Succeeded(daemon, await DaemonPair.VirshAsync(uri, $"define {xml}; start {name} --paused", ct)));

            output.Append(Succeeded(daemon, await ProcessRunner.RunAsync(RealLibvirt.Python, ["-c", PythonReboot, uri, name, onReboot], timeout: TimeSpan.FromMinutes(5), cancellationToken: ct)));

            output.Append(Succeeded(daemon, await DaemonPair.VirshAsync(uri, $"domstate {name} --reason; undefine {name}", ct)));
            return output.ToString();
        }
        finally
        {
            KillGuests(name);
        }
    }

    // The guest powered off and booted again in the same QEMU (same id), the domain never read anything but running,
    // and clients saw reboot events only: one for the driver's reset, one for the firmware's own reset.
    [Fact]
    public Task Reboot_PowersTheGuestOffAndBootsItAgain_LikeLibvirtd() =>
        AssertSameAsLibvirtdAsync(RunRebootAsync, (name, xml) =>
            $"Domain '{name}' defined from {xml}\n\nDomain '{name}' started\n\n" +
            "rebooted [1, 5] 1 True\nreboot events ['reboot', 'reboot', (3, 0)]\nbanners 2 power downs 1\n" +
            "shutdown events [(6, 1), (5, 0)]\nafter [5, 1] 0\n" +
            $"shut off (shutdown)\n\nDomain '{name}' has been undefined\n\n");

    // With on_reboot='destroy' a reboot is a shutdown: the guest powers off once and the domain ends shut off.
    [Fact]
    public Task Reboot_WithOnRebootDestroy_ShutsTheGuestDown_LikeLibvirtd() =>
        AssertSameAsLibvirtdAsync((daemon, xml, name, ct) => RunRebootAsync(daemon, xml, name, "destroy", ct), (name, xml) =>
            $"Domain '{name}' defined from {xml}\n\nDomain '{name}' started\n\n" +
            "reboot events [(6, 1), (5, 0)]\nafter [5, 1] 0\n" +
            $"shut off (shutdown)\n\nDomain '{name}' has been undefined\n\n",
            xml => xml.Replace("<devices>", "<on_reboot>destroy</on_reboot>\n  <devices>", StringComparison.Ordinal));

    [Fact]
    public async Task VirtwireConsole_And_Autostart_AfterRestart()
    {
        var guest = RequireGuest();
        var ct = TestContext.Current.CancellationToken;
        var name = "tiny-" + Guid.NewGuid().ToString("N")[..8];
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            await using (var conn = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct))
            {
                var domain = await conn.DefineDomainAsync(guest.DomainXml(name), cancellationToken: ct);
                await domain.SetAutostartAsync(true, ct);
                Assert.False(await domain.IsActiveAsync(ct));
            }

            // The new daemon starts what is marked autostart.
            var restartWatch = System.Diagnostics.Stopwatch.StartNew();
            daemon = await daemon.RestartVirtwiredAsync(ct);
            TestContext.Current.TestOutputHelper?.WriteLine($"restart took {restartWatch.Elapsed}");
            var list = await DaemonPair.VirshAsync(daemon.QemuUri, "list --name --autostart", ct);
            Assert.Equal(name + "\n\n", list.Stdout);

            // virtwire console: what is typed reaches the guest, what it prints comes back, Ctrl+] ends the session.
            var info = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                ArgumentList = { RepositoryRoot.BuildOutput("src/Virtwire.Cli", "virtwire.dll"), "-c", daemon.QemuUri, "console", name },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var cli = System.Diagnostics.Process.Start(info)!;
            var stderr = cli.StandardError.ReadToEndAsync(ct);
            var header = $"Connected to domain '{name}'\nEscape character is ^] (Ctrl + ])\n";
            await using var output = new ConsoleReader(cli.StandardOutput.BaseStream);
            await output.WaitForAsync(header, ct, () => $"virtwire console: {(stderr.IsCompleted ? stderr.Result : "(running)")}\ndaemon: {daemon.ReadLog()}");

            // The guest may still be booting (input before its shell reads is lost): repeat the line until it answers.
            var echoed = output.WaitForAsync("virtwire-guest: pong", ct, () => $"daemon: {daemon.ReadLog()}");
            while (!echoed.IsCompleted)
            {
                await cli.StandardInput.WriteAsync("pong\n");
                await cli.StandardInput.FlushAsync(ct);
                await Task.WhenAny(echoed, Task.Delay(500, ct));
            }

            await echoed;
            await cli.StandardInput.WriteAsync("\u001d");
            await cli.StandardInput.FlushAsync(ct);
            await cli.WaitForExitAsync(ct).WaitAsync(Patience, ct);
            Assert.Equal(0, cli.ExitCode);
            Assert.StartsWith(header, output.Text, StringComparison.Ordinal);

            var stop = await DaemonPair.VirshAsync(daemon.QemuUri, $"destroy {name}; undefine {name}", ct);
            Assert.True(stop.ExitCode == 0, stop.ToString());
        }
        finally
        {
            KillGuests(name);
            await daemon.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("pc")]
    [InlineData("q35")]
    public async Task DisksNicsSerialsAndVnc_StartUnderRealQemu(string machine)
    {
        var guest = RequireGuest();
        var ct = TestContext.Current.CancellationToken;
        var name = "dev-" + Guid.NewGuid().ToString("N")[..8];
        var images = Directory.CreateTempSubdirectory("vw-images-").FullName;
        foreach (var image in new[] { "a.raw", "b.raw", "c.raw", "cd.iso" })
        {
            await using var file = File.Create(Path.Combine(images, image));
            file.SetLength(16 << 20);
        }

        var xml = guest.DomainXml(name)
            .Replace("machine='pc'", $"machine='{machine}'", StringComparison.Ordinal)
            .Replace("<devices>", $"""
                <devices>
                    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{images}/a.raw'/><target dev='vda' bus='virtio'/></disk>
                    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{images}/b.raw'/><target dev='hda' bus='ide'/></disk>
                    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{images}/c.raw'/><target dev='sda' bus='sata'/></disk>
                    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='{images}/cd.iso'/><target dev='sdb' bus='sata'/></disk>
                    <interface type='user'><model type='virtio'/></interface>
                    <interface type='user'><model type='e1000'/></interface>
                    <serial type='pty'><target port='1'/></serial>
                    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
                """, StringComparison.Ordinal);
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            await using var conn = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct);
            var domain = await conn.CreateDomainAsync(xml, cancellationToken: ct);
            Assert.Equal((DomainState.Running, (int)DomainRunningReason.Booted), await domain.GetStateAsync(ct));

            // The live XML names the ptys QEMU allocated and the VNC port it listens on.
            var live = System.Xml.Linq.XElement.Parse(await domain.GetXmlDescAsync(cancellationToken: ct));
            var ptys = live.Descendants("serial").Select(e => (string?)e.Element("source")?.Attribute("path")).ToList();
            Assert.Equal(2, ptys.Count);
            Assert.All(ptys, p => Assert.StartsWith("/dev/pts/", p, StringComparison.Ordinal));
            var port = (int)live.Descendants("graphics").Single().Attribute("port")!;
            using (var vnc = new System.Net.Sockets.TcpClient())
            {
                await vnc.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
                var banner = new byte[12];
                await vnc.GetStream().ReadExactlyAsync(banner, ct);
                Assert.StartsWith("RFB ", Encoding.ASCII.GetString(banner), StringComparison.Ordinal);
            }

            // A transient domain disappears when it stops.
            await domain.DestroyAsync(cancellationToken: ct);
            var gone = await Assert.ThrowsAsync<VirtException>(async () => await conn.LookupDomainByNameAsync(name, ct));
            Assert.Equal(Virtwire.Rpc.VirtErrorCode.NoDomain, gone.Code);
        }
        finally
        {
            KillGuests(name);
            await daemon.DisposeAsync();
            Directory.Delete(images, recursive: true);
        }
    }

    [Fact]
    public async Task KillDuringABurstOfDefines_KeepsEveryAcknowledgedDefinition_AndNoneIsCorrupt()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var conn = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct);
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = w; i < 1000; i += 8)
                {
                    var name = $"burst-{i:D4}";
                    try
                    {
                        await conn.DefineDomainAsync(
                            $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
                            cancellationToken: ct);
                    }
                    catch (VirtException)
                    {
                        return; // the daemon died under us: this one was not acknowledged
                    }

                    acknowledged.Add(name);
                    if (acknowledged.Count == 300)
                    {
                        halfway.TrySetResult();
                    }
                }
            }, ct)).ToArray();

            await halfway.Task.WaitAsync(Patience, ct);
            daemon = await daemon.RestartVirtwiredAsync(ct);
            await Task.WhenAll(writers);
            await conn.DisposeAsync();

            Assert.InRange(acknowledged.Count, 300, 999);
            await using var after = await VirtConnection.OpenAsync(daemon.QemuUri, cancellationToken: ct);
            var names = (await after.ListAllDomainsAsync(ListDomainsFlags.None, ct)).Select(d => d.Name).ToHashSet();
            var lost = acknowledged.Where(n => !names.Contains(n)).ToList();
            Assert.True(lost.Count == 0, "acknowledged but lost: " + string.Join(", ", lost));

            // Every file on disk is a whole definition the new daemon loaded; no temp file is left where a definition goes.
            var files = Directory.GetFiles(Path.Combine(daemon.DirectoryPath, "etc", "qemu"), "*.xml");
            Assert.Equal(files.Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
            Assert.DoesNotContain("cannot load", await File.ReadAllTextAsync(daemon.LogPath, ct), StringComparison.Ordinal);
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    private static async Task ExpectEventAsync(VirtDomainEventSubscription events, DomainLifecycleEvent expected, CancellationToken ct, int? detail = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Patience);
        await foreach (var e in events.ReadAllAsync(deadline.Token))
        {
            if (!e.IsReboot && e.Event == expected && (detail is null || e.Detail == detail))
            {
                return;
            }
        }
    }

    private static async Task ExpectRebootAsync(VirtDomainEventSubscription events, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Patience);
        await foreach (var e in events.ReadAllAsync(deadline.Token))
        {
            if (e.IsReboot)
            {
                return;
            }
        }

        Assert.Fail("the event stream ended before a reboot event");
    }

    private static Task DrainAsync(VirtDomainEventSubscription events)
    {
        while (events.TryRead(out _))
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Guests outlive a killed daemon by design; a test never leaves one running (found by QEMU's -name).</summary>
    private static void KillGuests(string name)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains("qemu-system", StringComparison.Ordinal) && commandLine.Contains($"guest={name},", StringComparison.Ordinal))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }

    /// <summary>Collects what a console prints so that a test can wait for a line.</summary>
    private sealed class ConsoleReader : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly StringBuilder _seen = new();
        private readonly Task _pump;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConsoleReader(Stream stream)
        {
            _stream = stream;
            _pump = Task.Run(PumpAsync);
        }

        private async Task PumpAsync()
        {
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await _stream.ReadAsync(buffer)) > 0)
                {
                    lock (_seen)
                    {
                        _seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    }

                    Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }
            }
            finally
            {
                _changed.TrySetResult();
            }
        }

        public string Text
        {
            get
            {
                lock (_seen)
                {
                    return _seen.ToString();
                }
            }
        }

        public async Task WaitForAsync(string text, CancellationToken ct, Func<string>? context = null)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Patience);
            while (true)
            {
                var changed = Volatile.Read(ref _changed).Task;
                lock (_seen)
                {
                    if (_seen.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return;
                    }
                }

                if (_pump.IsCompleted)
                {
                    Assert.Fail($"console ended before '{text}'; saw: {Text}\n{context?.Invoke()}");
                }

                try
                {
                    await changed.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    Assert.Fail($"timed out waiting for '{text}' on the console; saw: {Text}\n{context?.Invoke()}");
                }
            }
        }

        public ValueTask SendAsync(string text, CancellationToken ct) => _stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);

        public async ValueTask DisposeAsync()
        {
            if (_stream is VirtStream virt)
            {
                await virt.FinishAsync();
            }

            await _stream.DisposeAsync();
            try
            {
                await _pump;
            }
            catch (Exception ex) when (ex is VirtException or IOException or ObjectDisposedException)
            {
            }
        }
    }
}
