using System.Security.Cryptography;
using System.Text;
using Virtwire.Fuzz.Targets;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Fuzz.Corpus;

/// <summary>
/// Builds each target's seed inputs from the real captures in tests/data/captures, plus a few
/// hand-written domain definitions and typed parameters the captures do not hold. Deterministic:
/// the same captures give the same files, so fuzz/corpus can be checked against them.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>Seed inputs per target name, each a (file name, bytes) list with no duplicate contents.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Name, byte[] Bytes)>> Build(string capturesDirectory)
    {
        var seeds = FuzzTargets.All.ToDictionary(t => t.Name, _ => new Seeds());
        var streams = Directory.GetFiles(capturesDirectory, "*.hex").Order(StringComparer.Ordinal).SelectMany(CapturedStream.Load).ToList();
        foreach (var stream in streams)
        {
            for (var i = 0; i < stream.Frames.Count; i++)
            {
                var name = $"{stream.Name}-{i:000}";
                var frame = stream.Frames[i];
                var packet = frame.AsSpan(RpcLimits.LengthWordSize).ToArray();
                var header = RpcHeader.Read(packet);

                // One seed per kind of message: more of the same only slows AFL++'s first passes.
                var kind = $"{header.Program:x}/{header.Procedure}/{header.Type}/{header.Status}/{stream.Name[^3..]}";
                seeds["frame"].Add(name, frame, kind);
                seeds["header"].Add(name, packet, kind);
                if (BodySelector(header) is { } selector)
                {
                    seeds["body"].Add(name, [(byte)(selector >> 8), (byte)selector, .. packet.AsSpan(RpcLimits.HeaderSize)], kind);
                }

                foreach (var (index, parameters) in TypedParameters(header, packet.AsMemory(RpcLimits.HeaderSize)))
                {
                    seeds["typed-params"].Add($"{name}-{index}", EncodeArray(parameters));
                }

                foreach (var (index, xml) in DomainDocuments(packet))
                {
                    seeds["domain-xml"].Add($"{name}-{index}", xml);
                }
            }

            // A few packets back to back, as one read from a socket delivers them.
            if (stream.Frames.Count > 1)
            {
                seeds["frame"].Add($"{stream.Name}-first3", [.. stream.Frames.Take(3).SelectMany(f => f)]);
            }
        }

        foreach (var (name, parameters) in HandWrittenParameters())
        {
            seeds["typed-params"].Add(name, EncodeArray(parameters));
        }

        foreach (var (name, xml) in HandWrittenDomains())
        {
            seeds["domain-xml"].Add(name, Encoding.UTF8.GetBytes(xml));
        }

        return seeds.ToDictionary(p => p.Key, p => (IReadOnlyList<(string, byte[])>)p.Value.Items);
    }

    /// <summary>Replaces <paramref name="corpusDirectory"/>/&lt;target&gt;/ with freshly built seeds.</summary>
    public static void Write(string capturesDirectory, string corpusDirectory)
    {
        foreach (var (target, items) in Build(capturesDirectory))
        {
            var directory = Path.Combine(corpusDirectory, target);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
            foreach (var (name, bytes) in items)
            {
                File.WriteAllBytes(Path.Combine(directory, name), bytes);
            }
        }
    }

    // The body target's selector for what this packet carries, or null when it carries no remote program body.
    private static ushort? BodySelector(RpcHeader header)
    {
        if (header.Program != RemoteProgram.Program || RemoteProgram.Find(header.Procedure) is null)
        {
            return null;
        }

        ushort selector = (header.Type, header.Status) switch
        {
            (RpcMessageType.Reply, RpcStatus.Error) => 0,
            (RpcMessageType.Reply, _) => BodyTypes.SelectorOf(header.Procedure, result: true),
            _ => BodyTypes.SelectorOf(header.Procedure, result: false),
        };
        return BodyTypes.Find(selector) is null ? null : selector;
    }

    // Typed parameter arrays from domain stats replies (python3-libvirt's getAllDomainStats).
    private static IEnumerable<(int Index, RemoteTypedParam[] Parameters)> TypedParameters(RpcHeader header, ReadOnlyMemory<byte> payload)
    {
        if (header is not { Program: RemoteProgram.Program, Procedure: RemoteProgram.Numbers.ConnectGetAllDomainStats, Type: RpcMessageType.Reply, Status: RpcStatus.Ok })
        {
            return [];
        }

        return XdrCodec.Decode<ConnectGetAllDomainStatsRet>(payload.Span).RetStats.Select((r, i) => (i, r.Params));
    }

    // Every XDR string in the packet that holds a <domain> document (define calls, dumpxml replies), found by
    // its length word, so any procedure that carries one contributes without a list here.
    private static IEnumerable<(int Index, byte[] Xml)> DomainDocuments(byte[] packet)
    {
        var marker = "<domain"u8.ToArray();
        var found = 0;
        for (var at = packet.AsSpan().IndexOf(marker); at >= 4; at = NextIndex(packet, marker, at + 1))
        {
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(at - 4));
            if (length > 0 && length <= packet.Length - at)
            {
                yield return (found++, packet.AsSpan(at, length).ToArray());
            }
        }
    }

    private static int NextIndex(byte[] packet, byte[] marker, int from)
    {
        var next = packet.AsSpan(from).IndexOf(marker);
        return next < 0 ? -1 : from + next;
    }

    private static byte[] EncodeArray(RemoteTypedParam[] parameters)
    {
        var bytes = new byte[4 + parameters.Sum(p => p.GetSize())];
        var writer = new XdrWriter(bytes);
        writer.WriteArrayCount(parameters.Length, RemoteLimits.TypedParams);
        foreach (var parameter in parameters)
        {
            parameter.Write(ref writer);
        }

        return bytes;
    }

    private static IEnumerable<(string Name, RemoteTypedParam[] Parameters)> HandWrittenParameters()
    {
        yield return ("each-type",
        [
            RemoteTypedParam.FromInt("state.state", 1),
            RemoteTypedParam.FromUInt("vcpu.current", 2),
            RemoteTypedParam.FromLLong("cpu.time", -1),
            RemoteTypedParam.FromULLong("balloon.maximum", ulong.MaxValue),
            RemoteTypedParam.FromDouble("cpu.utilization", 0.5),
            RemoteTypedParam.FromBoolean("vcpu.0.halted", true),
            RemoteTypedParam.FromString("block.0.name", "vda"),
        ]);
        yield return ("empty", []);
        yield return ("odd-lengths", [RemoteTypedParam.FromString("a", "bcdef"), RemoteTypedParam.FromString("\u00e9t\u00e9", "")]);
    }

    private static IEnumerable<(string Name, string Xml)> HandWrittenDomains()
    {
        yield return ("test-driver-full", """
            <domain type='test'>
              <name>fuzzseed</name>
              <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
              <title>seed &amp; title</title>
              <description>multi
            line</description>
              <metadata><app:info xmlns:app='http://example.org/app' app:k='v'><app:x>1</app:x></app:info></metadata>
              <memory unit='MiB'>512</memory>
              <currentMemory unit='KiB'>262144</currentMemory>
              <vcpu current='1'>2</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><kernel>/boot/vmlinuz</kernel></os>
              <features><acpi/><apic/><pae/></features>
              <cpu mode='host-model'><topology sockets='1' cores='2' threads='1'/></cpu>
              <clock offset='localtime'/>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>preserve</on_crash>
              <devices>
                <interface type='network'><source network='default'/></interface>
                <disk type='file' device='disk'><source file='/guest.img'/><target dev='hda'/></disk>
                <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/><target dev='testnet0'/></interface>
                <console type='pty'/>
                <memballoon model='virtio'/>
              </devices>
            </domain>
            """);
        yield return ("qemu-full", """
            <domain type='kvm'>
              <name>guest</name>
              <uuid>9f1c7e64-55a0-4c3e-a6c2-0d6f1d6e7b21</uuid>
              <title>QEMU seed</title>
              <memory unit='GiB'>2</memory>
              <currentMemory unit='MiB'>1024</currentMemory>
              <vcpu>4</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <kernel>/boot/vmlinuz</kernel>
                <initrd>/boot/initrd.img</initrd>
                <cmdline>console=ttyS0</cmdline>
              </os>
              <features><acpi/><apic/></features>
              <cpu mode='host-passthrough'/>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/images/guest.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                  <boot order='1'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <driver name='qemu' type='raw'/>
                  <source file='/isos/install.iso'/>
                  <target dev='hdc' bus='ide'/>
                  <readonly/>
                </disk>
                <interface type='user'><model type='virtio'/></interface>
                <interface type='ethernet'><mac address='52:54:00:ab:cd:ef'/><model type='rtl8139'/></interface>
                <serial type='pty'><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <graphics type='vnc' autoport='yes' listen='0.0.0.0'/>
                <memballoon model='none'/>
              </devices>
            </domain>
            """);
        yield return ("qemu-minimal", "<domain type='qemu'><name>m</name><memory>65536</memory><os><type>hvm</type></os></domain>");
    }

    private sealed class Seeds
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        public List<(string Name, byte[] Bytes)> Items { get; } = [];

        /// <summary>Adds the input unless one with the same contents, or of the same <paramref name="kind"/>, is there.</summary>
        public void Add(string name, byte[] bytes, string? kind = null)
        {
            if (_keys.Add(Convert.ToHexString(SHA256.HashData(bytes))) && (kind is null || _keys.Add(kind)))
            {
                Items.Add((name, bytes));
            }
        }
    }
}
