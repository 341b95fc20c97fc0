using Virtwire.Drivers.Qemu;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Tests;

/// <summary>The QEMU driver's XML subset, its command line, and its file writes (no QEMU needed).</summary>
public sealed class QemuDefinitionTests
{
    private const string Full = """
        <domain type='qemu'>
          <name>web</name>
          <uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a04</uuid>
          <title>Web server</title>
          <memory unit='GiB'>1</memory>
          <currentMemory unit='MiB'>512</currentMemory>
          <vcpu>2</vcpu>
          <os>
            <type arch='x86_64' machine='q35'>hvm</type>
            <boot dev='cdrom'/>
            <boot dev='hd'/>
          </os>
          <features><acpi/><apic/></features>
          <on_reboot>destroy</on_reboot>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/var/lib/images/web,1.qcow2'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <source file='/isos/install.iso'/>
              <target dev='sda' bus='sata'/>
              <readonly/>
            </disk>
            <interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>
            <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:12:34:57'/><model type='e1000'/></interface>
            <serial type='pty'><target port='0'/></serial>
            <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>
          </devices>
        </domain>
        """;

    private static QemuPaths Paths => QemuPaths.For(QemuDriverOptions.ForRoot("/srv/vw"), "web");

    [Fact]
    public void Parse_ReadsTheSubset_InLibvirtUnits()
    {
        var d = QemuDomainDefinition.Parse(Full);
        Assert.Equal(("web", "qemu", "Web server"), (d.Name, d.Type, d.Title));
        Assert.Equal(1024UL * 1024, d.MemoryKiB);
        Assert.Equal(512UL * 1024, d.CurrentMemoryKiB);
        Assert.Equal(2, d.Vcpus);
        Assert.Equal("q35", d.Machine);
        Assert.Equal(["cdrom", "hd"], d.Boot);
        Assert.True(d.Acpi);
        Assert.Equal("destroy", d.OnReboot);
        Assert.Equal(2, d.Disks.Count);
        Assert.Equal(("cdrom", "raw", "sata", true), (d.Disks[1].Device, d.Disks[1].Format, d.Disks[1].Bus, d.Disks[1].ReadOnly));
        Assert.Equal(["user", "bridge"], d.Interfaces.Select(i => i.Type));
        Assert.Equal(1, d.Serials);
        Assert.Equal(5901, d.Graphics.Single().Port);
    }

    [Fact]
    public void Format_ThenParse_GivesTheSameDefinition()
    {
        var d = QemuDomainDefinition.Parse(Full);
        var again = QemuDomainDefinition.Parse(d.Format(null, inactive: true));
        Assert.Equal(d.Name, again.Name);
        Assert.Equal(d.Uuid, again.Uuid);
        Assert.Equal((d.MemoryKiB, d.CurrentMemoryKiB, d.Vcpus, d.Machine), (again.MemoryKiB, again.CurrentMemoryKiB, again.Vcpus, again.Machine));
        Assert.Equal(d.Disks, again.Disks);
        Assert.Equal(d.Interfaces, again.Interfaces);
        Assert.Equal(d.Graphics, again.Graphics);
        Assert.Equal(d.Format(null, inactive: true), again.Format(null, inactive: true));
    }

    [Fact]
    public void Parse_FillsInUuidAndMac_WhenAbsent()
    {
        var d = QemuDomainDefinition.Parse(
            "<domain type='kvm'><name>n</name><memory>65536</memory><os><type>hvm</type></os><devices><interface type='user'/></devices></domain>");
        Assert.NotEqual(default, d.Uuid);
        Assert.StartsWith("52:54:00:", d.Interfaces.Single().Mac, StringComparison.Ordinal);
        Assert.Equal(65536UL, d.CurrentMemoryKiB);
    }

    [Theory]
    [InlineData("<devices><hostdev mode='subsystem' type='pci'/></devices>", "device <hostdev>")]
    [InlineData("<devices><disk type='network' device='disk'><target dev='vda'/></disk></devices>", "disk type 'network'")]
    [InlineData("<devices><graphics type='spice'/></devices>", "graphics type 'spice'")]
    [InlineData("<devices><serial type='tcp'><target port='0'/></serial></devices>", "serial type 'tcp'")]
    [InlineData("<iothreads>2</iothreads>", "<iothreads>")]
    [InlineData("<devices><disk type='file' device='disk'><source file='/x'/><target dev='hda' bus='ide'/><readonly/></disk></devices>", "readonly ide disks")]
    public void Parse_RejectsWhatItCannotRun_WithLibvirtsConfigUnsupported(string fragment, string mentioned)
    {
        var xml = $"<domain type='qemu'><name>x</name><memory>65536</memory><os><type>hvm</type></os>{fragment}</domain>";
        var ex = Assert.Throws<RpcRemoteException>(() => QemuDomainDefinition.Parse(xml));
        Assert.Equal(VirtErrorCode.ConfigUnsupported, ex.Error.Code);
        Assert.StartsWith("unsupported configuration: ", ex.Error.Message, StringComparison.Ordinal);
        Assert.Contains(mentioned, ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLine_PcMachine_AddsAnAhciControllerForSata_AndPairsIdeUnits()
    {
        var d = QemuDomainDefinition.Parse("""
            <domain type='qemu'><name>p</name><memory>65536</memory><os><type machine='pc'>hvm</type></os><devices>
              <disk type='file' device='disk'><source file='/a'/><target dev='hda' bus='ide'/></disk>
              <disk type='file' device='disk'><source file='/b'/><target dev='hdb' bus='ide'/></disk>
              <disk type='file' device='disk'><source file='/c'/><target dev='hdc' bus='ide'/></disk>
              <disk type='file' device='disk'><source file='/d'/><target dev='sda' bus='sata'/><boot order='2'/></disk>
            </devices></domain>
            """);
        var args = QemuCommandLine.Build(d, Paths, kvm: false, vncDisplay: 0);
        Assert.Contains("ahci,id=sata0", args);
        Assert.Contains("ide-hd,bus=ide.0,unit=0,drive=drive-hda,id=hda", args);
        Assert.Contains("ide-hd,bus=ide.0,unit=1,drive=drive-hdb,id=hdb", args);
        Assert.Contains("ide-hd,bus=ide.1,unit=0,drive=drive-hdc,id=hdc", args);
        Assert.Contains("ide-hd,bus=sata0.0,drive=drive-sda,id=sda,bootindex=2", args);
    }

    [Fact]
    public void Parse_BadBootOrder_IsAnXmlError_NotACrash()
    {
        var ex = Assert.Throws<RpcRemoteException>(() => QemuDomainDefinition.Parse(
            "<domain type='qemu'><name>x</name><memory>65536</memory><os><type>hvm</type></os><devices>" +
            "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/><boot order='first'/></disk></devices></domain>"));
        Assert.Equal(VirtErrorCode.XmlError, ex.Error.Code);
    }

    [Fact]
    public void Parse_MalformedXml_IsAnXmlError()
    {
        var ex = Assert.Throws<RpcRemoteException>(() => QemuDomainDefinition.Parse("<domain type='qemu'><name>x</name"));
        Assert.Equal(VirtErrorCode.XmlError, ex.Error.Code);
        Assert.StartsWith("XML error: ", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLine_MapsDevicesToQemuOptions()
    {
        var args = QemuCommandLine.Build(QemuDomainDefinition.Parse(Full), Paths, kvm: false, vncDisplay: 1);
        var line = string.Join(' ', args);
        Assert.Contains("-machine q35,accel=tcg,usb=off", line, StringComparison.Ordinal);
        Assert.Contains("-m size=1048576k", line, StringComparison.Ordinal);
        Assert.Contains("-smp 2", line, StringComparison.Ordinal);
        Assert.Contains("-uuid 0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a04", line, StringComparison.Ordinal);
        Assert.Contains("-no-reboot", args);
        Assert.Contains("-no-shutdown", args);
        Assert.DoesNotContain("-no-acpi", args);
        Assert.Contains("-boot order=dc", line, StringComparison.Ordinal);
        // Commas in a file name are doubled, as QEMU's option syntax needs.
        Assert.Contains("file=/var/lib/images/web,,1.qcow2,if=none,id=drive-vda,format=qcow2", args);
        Assert.Contains("virtio-blk-pci,drive=drive-vda,id=vda", args);
        // q35's built-in AHCI controller takes SATA (and IDE) disks; no controller is added.
        Assert.Contains("ide-cd,bus=ide.0,drive=drive-sda,id=sda", args);
        Assert.DoesNotContain("ahci,id=sata0", args);
        Assert.Contains("user,id=hostnet0", args);
        Assert.Contains("bridge,id=hostnet1,br=br0", args);
        Assert.Contains("e1000,netdev=hostnet1,id=net1,mac=52:54:00:12:34:57", args);
        Assert.Contains("pty,id=charserial0", args);
        Assert.Contains("127.0.0.1:1", args);
        Assert.Contains("/srv/vw/run/qemu/web.pid", args);
        Assert.Contains("-daemonize", args);
        Assert.Contains("-S", args);
    }

    [Fact]
    public void CommandLine_DirectKernelBoot_AndKvm()
    {
        var d = QemuDomainDefinition.Parse("""
            <domain type='kvm'><name>k</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type><kernel>/boot/vmlinuz</kernel><initrd>/boot/initrd</initrd><cmdline>console=ttyS0</cmdline></os>
              <cpu mode='host-passthrough'/>
            </domain>
            """);
        var args = QemuCommandLine.Build(d, Paths, kvm: true, vncDisplay: 0);
        var line = string.Join(' ', args);
        Assert.Contains("-kernel /boot/vmlinuz -initrd /boot/initrd -append console=ttyS0", line, StringComparison.Ordinal);
        Assert.Contains("accel=kvm", line, StringComparison.Ordinal);
        Assert.Contains("-cpu host", line, StringComparison.Ordinal);
        Assert.Contains("-no-acpi", args);
        Assert.Contains("-display none", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright (c) 2003-2022", 7_002_022UL)]
    [InlineData("QEMU emulator version 8.1.0\n", 8_001_000UL)]
    [InlineData("something else", 0UL)]
    public void EmulatorVersion_IsLibvirtsNumber(string text, ulong expected) =>
        Assert.Equal(expected, QemuHostFacts.ParseVersion(text));

    [Fact]
    public void WriteAtomic_ReplacesTheFileWhole_AndLeavesNoTempFile()
    {
        var directory = Directory.CreateTempSubdirectory("vw-atomic-").FullName;
        try
        {
            var path = Path.Combine(directory, "d.xml");
            NativeFiles.WriteAtomic(path, "<first/>");
            NativeFiles.WriteAtomic(path, "<second/>");
            Assert.Equal("<second/>", File.ReadAllText(path));
            Assert.Equal(["d.xml"], Directory.GetFiles(directory).Select(Path.GetFileName));
            NativeFiles.DeleteDurably(path);
            NativeFiles.DeleteDurably(path);
            Assert.Empty(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
