using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Virtwire.Drivers.Qemu;

/// <summary>Where the QEMU driver keeps its files and which emulator it runs. Tests point every directory at a temporary one.</summary>
public sealed record QemuDriverOptions
{
    public const string DefaultEmulator = "/usr/bin/qemu-system-x86_64";

    /// <summary>Persistent definitions (NAME.xml) and autostart links (autostart/NAME.xml); libvirtd uses /etc/libvirt/qemu.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>Runtime status of running domains, monitor sockets and pid files; libvirtd uses /run/libvirt/qemu.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>One log per domain with the command line and QEMU's messages; libvirtd uses /var/log/libvirt/qemu.</summary>
    public required string LogDirectory { get; init; }

    /// <summary>The emulator run when a definition names none.</summary>
    public string Emulator { get; init; } = DefaultEmulator;

    /// <summary>The device node whose usability decides whether type='kvm' domains can run.</summary>
    public string KvmDevice { get; init; } = "/dev/kvm";

    /// <summary>How long a start may take before it is abandoned and the process killed.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Directories for a daemon: system paths for root with <paramref name="root"/> unset, else everything under <paramref name="root"/>.</summary>
    public static QemuDriverOptions ForRoot(string root) => new()
    {
        ConfigDirectory = Path.Combine(root, "etc", "qemu"),
        StateDirectory = Path.Combine(root, "run", "qemu"),
        LogDirectory = Path.Combine(root, "log", "qemu"),
    };

    /// <summary>
    /// The defaults with no <c>qemu_root</c>: system paths of Virtwire's own (never libvirtd's) for root, else the XDG
    /// directories of the user, as libvirt's session daemon does.
    /// </summary>
    public static QemuDriverOptions ForUser()
    {
        if (Environment.UserName == "root")
        {
            return new QemuDriverOptions
            {
                ConfigDirectory = "/etc/virtwire/qemu",
                StateDirectory = "/run/virtwire/qemu",
                LogDirectory = "/var/log/virtwire/qemu",
            };
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config");
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache");
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") ?? cache;
        return new QemuDriverOptions
        {
            ConfigDirectory = Path.Combine(config, "virtwire", "qemu"),
            StateDirectory = Path.Combine(runtime, "virtwire", "qemu"),
            LogDirectory = Path.Combine(cache, "virtwire", "qemu", "log"),
        };
    }
}
