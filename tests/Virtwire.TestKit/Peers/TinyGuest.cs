using System.IO.Compression;
using System.Text;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// A guest small enough to boot under TCG in about two seconds: Debian's kernel (linux-image-cloud-amd64) and an
/// initramfs built here from busybox-static. On its serial console it prints <see cref="Banner"/>, echoes every
/// line it reads back prefixed with <c>virtwire-guest: </c>, and powers off when the ACPI power button is pressed.
/// </summary>
public sealed class TinyGuest
{
    public const string Banner = "virtwire-guest: ready";

    private TinyGuest(string kernel, string initrd)
    {
        Kernel = kernel;
        Initrd = initrd;
    }

    public string Kernel { get; }

    public string Initrd { get; }

    /// <summary>Domain XML for this guest under <paramref name="type"/> "qemu" (TCG) with one serial console.</summary>
    public string DomainXml(string name, string? uuid = null) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          {(uuid is null ? string.Empty : $"<uuid>{uuid}</uuid>")}
          <memory unit='MiB'>128</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>{Kernel}</kernel>
            <initrd>{Initrd}</initrd>
            <cmdline>console=ttyS0 quiet panic=-1</cmdline>
          </os>
          <features><acpi/></features>
          <on_poweroff>destroy</on_poweroff>
          <devices>
            <serial type='pty'><target port='0'/></serial>
            <console type='pty'><target type='serial' port='0'/></console>
          </devices>
        </domain>
        """;

    /// <summary>Whether this machine has what the guest needs (QEMU, a kernel, busybox-static).</summary>
    public static string? Missing()
    {
        if (!File.Exists("/usr/bin/qemu-system-x86_64"))
        {
            return "qemu-system-x86_64 (Debian's qemu-system-x86)";
        }

        if (FindKernel() is null)
        {
            return "a kernel with its modules in /boot and /lib/modules (Debian's linux-image-cloud-amd64)";
        }

        return File.Exists("/bin/busybox") ? null : "/bin/busybox (Debian's busybox-static)";
    }

    /// <summary>Builds the initramfs into <paramref name="directory"/> (or reuses one built there before).</summary>
    public static TinyGuest Build(string directory)
    {
        var missing = Missing();
        if (missing is not null)
        {
            throw new InvalidOperationException("the tiny guest needs " + missing);
        }

        var (kernel, version) = FindKernel()!.Value;
        Directory.CreateDirectory(directory);
        var initrd = Path.Combine(directory, "tiny-guest-" + version + ".img");
        if (!File.Exists(initrd))
        {
            var temp = initrd + "." + Environment.ProcessId + ".tmp";
            using (var file = File.Create(temp))
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            {
                WriteArchive(gzip, version);
            }

            File.Move(temp, initrd, overwrite: true);
        }

        return new TinyGuest(kernel, initrd);
    }

    private static (string Kernel, string Version)? FindKernel()
    {
        if (!Directory.Exists("/boot"))
        {
            return null;
        }

        foreach (var kernel in Directory.EnumerateFiles("/boot", "vmlinuz-*").Order(StringComparer.Ordinal).Reverse())
        {
            var version = Path.GetFileName(kernel)["vmlinuz-".Length..];
            var modules = Path.Combine("/lib/modules", version, "kernel", "drivers");
            if (File.Exists(Path.Combine(modules, "acpi", "button.ko")) && File.Exists(Path.Combine(modules, "input", "evdev.ko")))
            {
                return (kernel, version);
            }
        }

        return null;
    }

    // /init: mount the basics, load the power button's drivers, start acpid, announce, then echo the console.
    private const string Init = """
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        insmod /lib/modules/evdev.ko
        insmod /lib/modules/button.ko
        acpid -f -c /etc/acpi >/dev/null 2>&1 &
        ACPID=$!
        for i in $(seq 1 200); do
          ls -l /proc/$ACPID/fd 2>/dev/null | grep -q /dev/input/event && break
          sleep 0.05
        done
        echo "virtwire-guest: ready"
        while read -r line; do echo "virtwire-guest: $line"; done
        sleep 1000000
        """;

    // busybox acpid runs /etc/acpi/<event>/<code> for the power button's event (PWRF, 00000080).
    private const string PowerButton = """
        #!/bin/sh
        echo "virtwire-guest: power button"
        sync
        poweroff -f
        """;

    private static void WriteArchive(Stream output, string kernelVersion)
    {
        var writer = new NewcWriter(output);
        foreach (var dir in new[] { "bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "lib", "lib/modules", "proc", "sys", "var", "var/run", "var/log" })
        {
            writer.Directory(dir);
        }

        writer.File("bin/busybox", File.ReadAllBytes("/bin/busybox"), executable: true);
        writer.File("init", Encoding.ASCII.GetBytes(Init.ReplaceLineEndings("\n") + "\n"), executable: true);
        writer.File("etc/acpi/PWRF/00000080", Encoding.ASCII.GetBytes(PowerButton.ReplaceLineEndings("\n") + "\n"), executable: true);
        var drivers = Path.Combine("/lib/modules", kernelVersion, "kernel", "drivers");
        writer.File("lib/modules/evdev.ko", File.ReadAllBytes(Path.Combine(drivers, "input", "evdev.ko")), executable: false);
        writer.File("lib/modules/button.ko", File.ReadAllBytes(Path.Combine(drivers, "acpi", "button.ko")), executable: false);
        writer.Trailer();
    }

    /// <summary>The kernel's initramfs format: cpio "newc" (ASCII hex headers, 4-byte alignment).</summary>
    private sealed class NewcWriter(Stream output)
    {
        private int _inode = 1;

        public void Directory(string name) => Entry(name, 0x4000 | 0x1ED, []);

        public void File(string name, byte[] data, bool executable) => Entry(name, 0x8000 | (executable ? 0x1ED : 0x1A4), data);

        public void Trailer() => Entry("TRAILER!!!", 0, []);

        private void Entry(string name, int mode, byte[] data)
        {
            var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            var header = new StringBuilder("070701");
            foreach (var field in new long[] { _inode++, mode, 0, 0, mode == 0 ? 0 : 1, 0, data.Length, 0, 0, 0, 0, nameBytes.Length, 0 })
            {
                header.Append(field.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
            }

            var headerBytes = Encoding.ASCII.GetBytes(header.ToString());
            output.Write(headerBytes);
            output.Write(nameBytes);
            Pad(headerBytes.Length + nameBytes.Length);
            output.Write(data);
            Pad(data.Length);
        }

        private void Pad(int length)
        {
            var padding = (4 - (length % 4)) % 4;
            output.Write(new byte[padding]);
        }
    }
}
