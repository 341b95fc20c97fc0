using System.Globalization;

namespace Virtwire.Drivers.Qemu;

/// <summary>Turns a definition into QEMU's argument vector, the way libvirt's QEMU driver would for the same XML subset.</summary>
internal static class QemuCommandLine
{
    public static IReadOnlyList<string> Build(QemuDomainDefinition definition, QemuPaths paths, bool kvm, int vncDisplay)
    {
        var args = new List<string>
        {
            "-name", $"guest={definition.Name},debug-threads=on",
            // Start paused: the driver connects the monitor, learns the pty paths, then resumes (or not, for start --paused).
            "-S",
            "-machine", $"{definition.Machine},accel={(kvm ? "kvm" : "tcg")},usb=off",
            "-m", string.Create(CultureInfo.InvariantCulture, $"size={definition.MemoryKiB}k"),
            "-smp", definition.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-uuid", definition.Uuid.ToString(),
            "-no-user-config", "-nodefaults",
            "-chardev", $"socket,id=charmonitor,path={Escape(paths.Monitor)},server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control",
            "-rtc", "base=utc",
            // As libvirt does: when the guest powers off QEMU stops instead of exiting, so that the driver decides what
            // follows the SHUTDOWN event: terminate the process, or (a reboot being pending) reset and resume it.
            "-no-shutdown",
            "-pidfile", paths.Pid,
            "-daemonize",
        };

        if (kvm && definition.CpuMode is "host-passthrough" or "host-model")
        {
            args.AddRange(["-cpu", "host"]);
        }

        if (!definition.Acpi)
        {
            args.Add("-no-acpi");
        }

        if (definition.OnReboot == "destroy")
        {
            args.Add("-no-reboot");
        }

        if (definition.Kernel is not null)
        {
            args.AddRange(["-kernel", definition.Kernel]);
            if (definition.Initrd is not null)
            {
                args.AddRange(["-initrd", definition.Initrd]);
            }

            if (definition.Cmdline is not null)
            {
                args.AddRange(["-append", definition.Cmdline]);
            }
        }
        else if (definition.Boot.Count > 0 && !definition.Disks.Any(d => d.BootOrder is not null))
        {
            var order = string.Concat(definition.Boot.Select(b => b switch { "cdrom" => "d", "network" => "n", "fd" => "a", _ => "c" }));
            args.AddRange(["-boot", "order=" + order]);
        }

        // q35 has an AHCI controller built in (buses ide.0 to ide.5, one unit each): IDE and SATA disks both go there.
        // pc has the PIIX IDE controller (ide.0 and ide.1, two units each); SATA disks get an AHCI controller added.
        var q35 = definition.Machine.Contains("q35", StringComparison.Ordinal);
        var sata = !q35 && definition.Disks.Any(d => d.Bus == "sata");
        if (sata)
        {
            args.AddRange(["-device", "ahci,id=sata0"]);
        }

        var ideUnit = 0;
        var sataUnit = 0;
        for (var i = 0; i < definition.Disks.Count; i++)
        {
            var disk = definition.Disks[i];
            var drive = $"if=none,id=drive-{disk.Target},format={disk.Format}";
            if (disk.Source is not null)
            {
                drive = $"file={Escape(disk.Source)}," + drive;
            }

            if (disk.ReadOnly)
            {
                drive += ",readonly=on";
            }

            args.AddRange(["-drive", drive]);
            var boot = disk.BootOrder is { } order ? $",bootindex={order}" : "";
            var device = disk.Bus switch
            {
                "virtio" => $"virtio-blk-pci,drive=drive-{disk.Target},id={disk.Target}{boot}",
                _ when q35 => $"{(disk.Device == "cdrom" ? "ide-cd" : "ide-hd")},bus=ide.{sataUnit++},drive=drive-{disk.Target},id={disk.Target}{boot}",
                "sata" => $"{(disk.Device == "cdrom" ? "ide-cd" : "ide-hd")},bus=sata0.{sataUnit++},drive=drive-{disk.Target},id={disk.Target}{boot}",
                _ => $"{(disk.Device == "cdrom" ? "ide-cd" : "ide-hd")},bus=ide.{ideUnit / 2},unit={ideUnit++ % 2},drive=drive-{disk.Target},id={disk.Target}{boot}",
            };
            args.AddRange(["-device", device]);
        }

        for (var i = 0; i < definition.Interfaces.Count; i++)
        {
            var nic = definition.Interfaces[i];
            var netdev = nic.Type switch
            {
                "user" => $"user,id=hostnet{i}",
                "bridge" => $"bridge,id=hostnet{i},br={nic.Source}",
                _ => nic.Source is null ? $"tap,id=hostnet{i},script=no,downscript=no" : $"tap,id=hostnet{i},ifname={nic.Source},script=no,downscript=no",
            };
            var model = nic.Model switch { "virtio" => "virtio-net-pci", var m => m };
            args.AddRange(["-netdev", netdev, "-device", $"{model},netdev=hostnet{i},id=net{i},mac={nic.Mac}"]);
        }

        for (var port = 0; port < definition.Serials; port++)
        {
            args.AddRange(["-chardev", $"pty,id=charserial{port}", "-device", $"isa-serial,chardev=charserial{port},id=serial{port},index={port}"]);
        }

        if (definition.Graphics.Count > 0)
        {
            var vnc = definition.Graphics[0];
            args.AddRange(["-vnc", $"{vnc.Listen}:{vncDisplay.ToString(CultureInfo.InvariantCulture)}", "-vga", "std"]);
        }
        else
        {
            args.AddRange(["-display", "none"]);
        }

        if (definition.Balloon)
        {
            args.AddRange(["-device", "virtio-balloon-pci,id=balloon0"]);
        }

        return args;
    }

    /// <summary>QEMU's option syntax doubles commas inside values.</summary>
    private static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}

/// <summary>The runtime files of one domain under the state directory.</summary>
internal sealed record QemuPaths(string Status, string Monitor, string Pid, string Log)
{
    public static QemuPaths For(QemuDriverOptions options, string name) => new(
        Path.Combine(options.StateDirectory, name + ".status"),
        Path.Combine(options.StateDirectory, name + ".monitor"),
        Path.Combine(options.StateDirectory, name + ".pid"),
        Path.Combine(options.LogDirectory, name + ".log"));
}
