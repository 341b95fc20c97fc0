using Xunit;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// Where the real libvirt peers are. Under CI=true a missing peer fails the test; elsewhere it is skipped
/// with the reason, so a developer without libvirt installed can still run the unit tests.
/// </summary>
public static class RealLibvirt
{
    public const string Virsh = "/usr/bin/virsh";
    public const string Libvirtd = "/usr/sbin/libvirtd";
    public const string Python = "/usr/bin/python3";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool HasPython => File.Exists(Python) && File.Exists("/usr/lib/python3/dist-packages/libvirt.py");

    /// <summary>Skips (or under CI fails) unless virsh, libvirtd and python3-libvirt are installed, and we are root.</summary>
    public static void Require()
    {
        string? missing = null;
        if (!File.Exists(Virsh))
        {
            missing = "virsh (libvirt-clients)";
        }
        else if (!File.Exists(Libvirtd))
        {
            missing = "libvirtd (libvirt-daemon)";
        }
        else if (!HasPython)
        {
            missing = "python3-libvirt";
        }
        else if (Environment.UserName != "root")
        {
            missing = "root (libvirtd runs in a private mount namespace)";
        }

        if (missing is null)
        {
            return;
        }

        if (IsCi)
        {
            Assert.Fail($"real libvirt peer missing under CI: {missing}; .ci/run installs it");
        }

        Assert.Skip($"real libvirt peer missing: {missing}");
    }
}
