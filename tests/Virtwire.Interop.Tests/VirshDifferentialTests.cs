using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>
/// The same virsh session against real libvirtd and against virtwired must print the same thing,
/// command by command: a user's day of lists, info, state changes, definitions, errors, networks and pools.
/// </summary>
[Collection(DaemonPairCollection.Name)]
public sealed class VirshDifferentialTests(DaemonPair pair)
{
    private static readonly string Persistent = """
        <domain type='test'>
          <name>vw-persistent</name>
          <uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a01</uuid>
          <title>A persistent guest</title>
          <memory unit='MiB'>256</memory>
          <currentMemory unit='KiB'>131072</currentMemory>
          <vcpu current='1'>2</vcpu>
          <os><type arch='i686'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'>
              <source file='/guest/vw.img'/>
              <target dev='vdb' bus='virtio'/>
            </disk>
          </devices>
        </domain>
        """;

    private static readonly string Transient = """
        <domain type='test'>
          <name>vw-transient</name>
          <uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a02</uuid>
          <memory>65536</memory>
          <vcpu>1</vcpu>
          <os><type>hvm</type></os>
        </domain>
        """;

    public static TheoryData<string, string> Sessions => new()
    {
        { "listing", "list; list --all; list --inactive; list --name; list --uuid --all; list --state-running; list --persistent; list --transient" },
        { "memory-stats", "dommemstat test; setmem test 1000000; dommemstat test; destroy test; dommemstat test; dommemstat nosuch" },
        { "information", "dominfo test; domstate test; domstate --reason test; domid test; domuuid test; domname 1; domname 6695eb01-f6a4-8304-79aa-97f2502e193f; dumpxml test; dumpxml --inactive test; vcpucount test; domblklist test; domstats test; domstats --state --list-active" },
        { "lifecycle", "suspend test; domstate --reason test; list; resume test; domstate --reason test; destroy test; domstate --reason test; list --all; dominfo test; start test; domstate --reason test; list --all; shutdown test; domstate --reason test; start test; reboot test; domstate --reason test; reset test" },
        { "wrong states", "suspend test; suspend test; resume test; resume test; start test; destroy test; destroy test; suspend test; resume test; shutdown test; reboot test" },
        { "not found", "dominfo nosuch; suspend 42; domstate 6695eb01-f6a4-8304-79aa-97f2502e1930; net-info nosuch; pool-info nosuch; domid nosuch" },
        { "memory and autostart", "setmem test 1048576; dominfo test; setmem test 99999999; setmaxmem test 1000; autostart test; dominfo test; list --autostart --all; autostart --disable test; dominfo test; list --no-autostart" },
        { "networks", "net-list; net-list --all; net-info default; net-dumpxml default; net-uuid default; net-name dd8fe884-6c02-601e-7551-cca97df1c5df; net-start default; net-destroy default; net-list --all; net-info default; net-start default; net-list --all; net-autostart default; net-list --autostart" },
        { "pools", "pool-list; pool-list --all --details; pool-info default-pool; pool-dumpxml default-pool; pool-uuid default-pool; pool-destroy default-pool; pool-destroy default-pool; pool-list --all; pool-start default-pool; pool-info default-pool; pool-autostart default-pool; pool-list --autostart" },
        { "host", "nodeinfo; hostname; version; uri; freecell --all; nodememstats; capabilities; sysinfo" },
        { "live and config", "setvcpus test 1; vcpucount test; setvcpus test 4 --maximum --config; vcpucount test; setvcpus test 9; setmem test 512 --config; setmaxmem test 4000000 --config; setmaxmem test 4000000; dominfo test; dumpxml --inactive test; destroy test; dominfo test; setmem test 1000; start test; vcpucount test" },
        { "metadata", "desc test; desc test --title --live 'Hello'; desc test --title; desc test --config; desc test --new-desc 'Some & text'; desc test; metadata test http://x/ --key k --set '<a><b c=\"1\">t</b></a>'; metadata test http://x/; dumpxml test; desc test --config --title" },
        { "paused shutdown", "suspend test; shutdown test; domstate --reason test; start test; suspend test; reset test; domstate --reason test; reboot test; domstate --reason test; start --paused test" },
        { "pool build", "pool-build default-pool; pool-destroy default-pool; pool-build default-pool; pool-delete default-pool; pool-refresh default-pool; vol-list default-pool; pool-start default-pool; pool-refresh default-pool; vol-list default-pool; vol-info nosuch --pool default-pool" },
    };

    [Theory]
    [MemberData(nameof(Sessions))]
    public async Task VirshSession_PrintsTheSameOnBothDaemons(string name, string commands)
    {
        var (libvirtd, virtwired) = pair.Require();
        await AssertSameAsync(libvirtd, virtwired, commands, name);
    }

    [Fact]
    public async Task DefineStartUndefine_TransientAndPersistent_PrintTheSame()
    {
        var (libvirtd, virtwired) = pair.Require();
        var dir = Directory.CreateTempSubdirectory("vw-xml-").FullName;
        var persistent = Path.Combine(dir, "persistent.xml");
        var transient = Path.Combine(dir, "transient.xml");
        await File.WriteAllTextAsync(persistent, Persistent, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(transient, Transient, TestContext.Current.CancellationToken);
        var commands = string.Join("; ",
            $"define {persistent}", "list --all", "dominfo vw-persistent", "dumpxml vw-persistent", "vcpucount vw-persistent",
            "start vw-persistent", "list --all", "dumpxml vw-persistent", $"define {persistent}", "undefine vw-persistent", "list --all",
            "dominfo vw-persistent", "destroy vw-persistent", "list --all", "dominfo vw-persistent",
            $"create {transient}", "list --all", "dominfo vw-transient", $"create {transient}", "undefine vw-transient", "destroy vw-transient",
            "list --all", $"define {persistent}", "start vw-persistent", "list --all", "undefine vw-persistent", "list --all");
        await AssertSameAsync(libvirtd, virtwired, commands, "define/undefine");
    }

    [Fact]
    public async Task DefinedObjects_NetworksPoolsInterfaces_PrintTheSame()
    {
        var (libvirtd, virtwired) = pair.Require();
        var dir = Directory.CreateTempSubdirectory("vw-xml-").FullName;
        var ct = TestContext.Current.CancellationToken;
        async Task<string> Write(string name, string xml)
        {
            var path = Path.Combine(dir, name);
            await File.WriteAllTextAsync(path, xml, ct);
            return path;
        }

        var guest = await Write("guest.xml", """
            <domain type='test'><name>vw-nics</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a03</uuid><memory>65536</memory>
            <os><type arch='x86_64'>hvm</type></os><features><acpi/></features><on_poweroff>restart</on_poweroff><on_reboot>destroy</on_reboot>
            <devices><interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/><model type='virtio'/></interface>
            <interface type='network'><mac address='52:54:00:00:00:02'/><source network='default'/><target dev='testnet0'/></interface></devices></domain>
            """);
        var network = await Write("net.xml", """
            <network><name>vw-net</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a04</uuid><bridge name='br5'/><forward mode='nat'/>
            <ip address='10.0.0.1' netmask='255.255.255.0'/></network>
            """);
        var pool = await Write("pool.xml", """
            <pool type='dir'><name>vw-pool</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a05</uuid><target><path>/vw</path></target></pool>
            """);
        var badPool = await Write("badpool.xml", "<pool type='dir'><name>q</name></pool>");
        var commands = string.Join("; ",
            $"define {guest}", "dumpxml vw-nics", "start vw-nics", "shutdown vw-nics", "domstate --reason vw-nics", "reboot vw-nics",
            "domstate --reason vw-nics", "list --all",
            $"net-define {network}", "net-dumpxml vw-net", "net-info vw-net", "net-start vw-net", "net-undefine vw-net", "net-autostart vw-net",
            "net-list --all --autostart", "net-destroy vw-net", "net-destroy vw-net", "net-undefine vw-net", "net-list --all",
            $"pool-define {pool}", "pool-info vw-pool", "pool-dumpxml vw-pool", "pool-start vw-pool", "pool-start vw-pool", "pool-undefine vw-pool",
            "pool-list --all --details", "pool-destroy vw-pool", "pool-undefine vw-pool", $"pool-define {badPool}", "pool-list --all");
        await AssertSameAsync(libvirtd, virtwired, commands, "defined objects");
    }

    [Fact]
    public async Task BadXml_FailsTheSameWay()
    {
        var (libvirtd, virtwired) = pair.Require();
        var dir = Directory.CreateTempSubdirectory("vw-xml-").FullName;
        var noName = Path.Combine(dir, "noname.xml");
        await File.WriteAllTextAsync(noName, "<domain type='test'><memory>1024</memory></domain>", TestContext.Current.CancellationToken);
        var clash = Path.Combine(dir, "clash.xml");
        await File.WriteAllTextAsync(clash, Transient.Replace("vw-transient", "test", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        await AssertSameAsync(libvirtd, virtwired, $"define {noName}; define {clash}; list --all", "bad xml");
    }

    [Fact]
    public async Task SharedState_ResetsWhenTheLastConnectionCloses()
    {
        var (libvirtd, virtwired) = pair.Require();
        foreach (var daemon in new[] { libvirtd, virtwired })
        {
            var first = await DaemonPair.VirshAsync(daemon.TcpUri, "suspend test; domstate test", TestContext.Current.CancellationToken);
            Assert.Contains("paused", first.Stdout, StringComparison.Ordinal);
            var second = await DaemonPair.VirshAsync(daemon.TcpUri, "domstate test", TestContext.Current.CancellationToken);
            Assert.Equal("running\n\n", second.Stdout);
        }
    }

    [Fact]
    public async Task UnixSocket_AndReadOnlySocket_BehaveTheSame()
    {
        var (libvirtd, virtwired) = pair.Require();
        async Task<string> Run(DaemonProcess d)
        {
            var rw = await DaemonPair.VirshAsync(d.UnixUri, "list --all; suspend test; list", TestContext.Current.CancellationToken);
            var ro = await DaemonPair.VirshAsync($"test+unix:///default?socket={d.ReadOnlySocketPath}", "list --all; dominfo test; suspend test; destroy test; list",
                TestContext.Current.CancellationToken);
            var roFlag = await ProcessRunner.RunAsync(RealLibvirt.Virsh, ["-r", "-c", d.UnixUri, "list; start test; define /dev/null"],
                cancellationToken: TestContext.Current.CancellationToken);
            return DaemonPair.Normalize(rw + "\n" + ro + "\n" + roFlag, d)
                .Replace(d.ReadOnlySocketPath, "RO-SOCKET", StringComparison.Ordinal);
        }

        Assert.Equal(await Run(libvirtd), await Run(virtwired));
    }

    private static async Task AssertSameAsync(DaemonProcess libvirtd, DaemonProcess virtwired, string commands, string name)
    {
        var expected = await DaemonPair.VirshAsync(libvirtd.TcpUri, commands, TestContext.Current.CancellationToken);
        var actual = await DaemonPair.VirshAsync(virtwired.TcpUri, commands, TestContext.Current.CancellationToken);
        var e = DaemonPair.Normalize(expected.ToString(), libvirtd).Split('\n');
        var a = DaemonPair.Normalize(actual.ToString(), virtwired).Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<missing>";
            var al = i < a.Length ? a[i] : "<missing>";
            Assert.True(el == al, $"session '{name}' differs at line {i + 1}:\n  libvirtd:  {el}\n  virtwired: {al}\n\nlibvirtd:\n{string.Join('\n', e)}\n\nvirtwired:\n{string.Join('\n', a)}");
        }
    }
}
