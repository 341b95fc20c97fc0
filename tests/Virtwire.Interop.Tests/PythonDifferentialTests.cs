using System.Net.Sockets;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>python3-libvirt (the C library underneath) sees the same answers, errors included, from both daemons.</summary>
[Collection(DaemonPairCollection.Name)]
public sealed class PythonDifferentialTests(DaemonPair pair)
{
    // Prints every answer and every error (code, domain, message, str1-3, int1-2) libvirt's client library got.
    private const string Scenario = """
        import sys, libvirt
        libvirt.registerErrorHandler(lambda ctx, err: None, None)
        c = libvirt.open(sys.argv[1])
        def show(label, fn):
            try:
                print(label, 'ok', fn())
            except libvirt.libvirtError as e:
                print(label, 'error', e.err)
        show('type', c.getType)
        show('version', c.getVersion)
        show('libversion', c.getLibVersion)
        show('maxvcpus', lambda: c.getMaxVcpus(None))
        show('info', c.getInfo)
        show('freemem', c.getFreeMemory)
        show('cells', lambda: c.getCellsFreeMemory(0, 2))
        show('secmodel', c.getSecurityModel)
        show('alive', c.isAlive)
        show('list', lambda: sorted((d.name(), d.ID(), d.UUIDString()) for d in c.listAllDomains(0)))
        d = c.lookupByName('test')
        show('state', d.state)
        show('dinfo', lambda: d.info()[:4])
        show('maxmem', d.maxMemory)
        show('ostype', d.OSType)
        show('persistent', d.isPersistent)
        show('active', d.isActive)
        show('autostart', d.autostart)
        show('vcpus', lambda: d.vcpusFlags(0))
        show('label', d.securityLabel)
        show('stats', lambda: [(s[0].name(), s[1]) for s in c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE)])
        show('liststats', lambda: [(s[0].name(), s[1]) for s in c.domainListGetStats([d], 0)])
        show('suspend', d.suspend)
        show('state2', d.state)
        show('suspend2', d.suspend)
        show('resume', d.resume)
        show('destroy', d.destroy)
        show('destroy2', d.destroy)
        show('state3', d.state)
        show('create', d.create)
        show('byname', lambda: c.lookupByName('nosuch'))
        show('byid', lambda: c.lookupByID(77))
        show('byuuid', lambda: c.lookupByUUIDString('6695eb01-f6a4-8304-79aa-97f2502e1930'))
        show('define-bad', lambda: c.defineXML('<domain/>'))
        show('flags', lambda: c.listAllDomains(1 << 20))
        show('sysinfo-flags', lambda: c.getSysinfo(1))
        show('metadata', lambda: d.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None))
        show('nets', lambda: [n.name() for n in c.listAllNetworks(0)])
        n = c.networkLookupByName('default')
        show('net', lambda: (n.UUIDString(), n.isActive(), n.isPersistent(), n.autostart(), n.bridgeName()))
        show('net-create', n.create)
        show('net-missing', lambda: c.networkLookupByName('nosuch'))
        show('pools', lambda: [p.name() for p in c.listAllStoragePools(0)])
        p = c.storagePoolLookupByName('default-pool')
        show('pool', lambda: (p.UUIDString(), p.info(), p.isActive(), p.isPersistent(), p.autostart()))
        show('pool-missing', lambda: c.storagePoolLookupByName('nosuch'))
        show('nodemem', lambda: c.getMemoryStats(-1))
        c.close()
        """;

    [Fact]
    public async Task PythonLibvirt_GetsTheSameAnswersAndErrors()
    {
        var (libvirtd, virtwired) = pair.Require();
        var expected = await DaemonPair.PythonAsync(libvirtd.UnixUri, Scenario, TestContext.Current.CancellationToken);
        var actual = await DaemonPair.PythonAsync(virtwired.UnixUri, Scenario, TestContext.Current.CancellationToken);
        Assert.Equal(0, expected.ExitCode);
        Assert.Equal(DaemonPair.Normalize(expected.ToString(), libvirtd), DaemonPair.Normalize(actual.ToString(), virtwired));
    }

    private const string Hammer = """
        import sys, libvirt
        libvirt.registerErrorHandler(lambda ctx, err: None, None)
        c = libvirt.open(sys.argv[1])
        worker = int(sys.argv[2])
        name = 'hammer%d' % worker
        xml = "<domain type='test'><name>%s</name><memory>%d</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>" % (name, 1024 * (worker + 1))
        for i in range(40):
            d = c.defineXML(xml)
            d.create()
            assert d.info()[1] == 1024 * (worker + 1), d.info()
            assert d.state()[0] == libvirt.VIR_DOMAIN_RUNNING
            d.suspend(); assert d.state()[0] == libvirt.VIR_DOMAIN_PAUSED
            d.resume(); d.destroy(); d.undefine()
            assert c.lookupByName('test').info()[2] == 2097152
        print('ok')
        """;

    [Fact]
    public async Task EightClientsInParallel_GetCorrectAnswers_WhileAClientDropsMidCall()
    {
        var (_, virtwired) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var workers = Enumerable.Range(0, 8)
            .Select(i => ProcessRunner.RunAsync(RealLibvirt.Python, ["-c", Hammer, virtwired.UnixUri, i.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                timeout: TimeSpan.FromMinutes(2), cancellationToken: ct))
            .ToList();

        // Meanwhile, clients that send half a call and vanish, over and over.
        for (var i = 0; i < 50; i++)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(virtwired.SocketPath), ct);
            await socket.SendAsync(Convert.FromHexString("0000003820008086000000010000000100000000"), ct);
        }

        foreach (var result in await Task.WhenAll(workers))
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal("ok\n", result.Stdout);
        }

        Assert.False(virtwired.HasExited);
    }
}
