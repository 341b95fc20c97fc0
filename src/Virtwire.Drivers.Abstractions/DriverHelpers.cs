using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Drivers;

/// <summary>libvirt's CONNECT_LIST_ALL_DOMAINS filter, shared by every driver.</summary>
public static class DomainListFilter
{
    /// <summary>
    /// Whether a domain passes <paramref name="flags"/>: each group (active/inactive, persistent/transient, state,
    /// managed save, autostart, snapshot, checkpoint) filters only when one of its bits is set.
    /// </summary>
    public static bool Matches(ListDomainsFlags flags, DomainState state, bool active, bool persistent, bool autostart,
        bool managedSave = false, bool hasSnapshot = false, bool hasCheckpoint = false)
    {
        static bool Group(ListDomainsFlags flags, ListDomainsFlags yes, ListDomainsFlags no, bool value) =>
            (flags & (yes | no)) == 0 || (value ? (flags & yes) != 0 : (flags & no) != 0);

        var states = ListDomainsFlags.Running | ListDomainsFlags.Paused | ListDomainsFlags.Shutoff | ListDomainsFlags.Other;
        var stateOk = (flags & states) == 0 || state switch
        {
            DomainState.Running => flags.HasFlag(ListDomainsFlags.Running),
            DomainState.Paused => flags.HasFlag(ListDomainsFlags.Paused),
            DomainState.Shutoff => flags.HasFlag(ListDomainsFlags.Shutoff),
            _ => flags.HasFlag(ListDomainsFlags.Other),
        };
        return stateOk &&
            Group(flags, ListDomainsFlags.Active, ListDomainsFlags.Inactive, active) &&
            Group(flags, ListDomainsFlags.Persistent, ListDomainsFlags.Transient, persistent) &&
            Group(flags, ListDomainsFlags.ManagedSave, ListDomainsFlags.NoManagedSave, managedSave) &&
            Group(flags, ListDomainsFlags.Autostart, ListDomainsFlags.NoAutostart, autostart) &&
            Group(flags, ListDomainsFlags.HasSnapshot, ListDomainsFlags.NoSnapshot, hasSnapshot) &&
            Group(flags, ListDomainsFlags.HasCheckpoint, ListDomainsFlags.NoCheckpoint, hasCheckpoint);
    }
}

/// <summary>libvirt's size units in XML (<c>unit='MiB'</c> and friends).</summary>
public static class XmlSizeUnits
{
    /// <summary><paramref name="value"/> in <paramref name="unit"/> as bytes, or null for a unit libvirt does not know.</summary>
    /// <exception cref="RpcRemoteException">The bytes do not fit 64 bits: libvirt's VIR_ERR_OVERFLOW, "value too large".</exception>
    public static ulong? ToBytes(ulong value, string unit)
    {
        ulong? scale = unit.ToLowerInvariant() switch
        {
            "b" or "bytes" => 1UL,
            "k" or "kib" => 1UL << 10,
            "kb" => 1000UL,
            "m" or "mib" => 1UL << 20,
            "mb" => 1000UL * 1000,
            "g" or "gib" => 1UL << 30,
            "gb" => 1000UL * 1000 * 1000,
            "t" or "tib" => 1UL << 40,
            "tb" => 1000UL * 1000 * 1000 * 1000,
            "p" or "pib" => 1UL << 50,
            "pb" => 1000UL * 1000 * 1000 * 1000 * 1000,
            "e" or "eib" => 1UL << 60,
            "eb" => 1000UL * 1000 * 1000 * 1000 * 1000 * 1000,
            _ => null,
        };
        if (scale is null)
        {
            return null;
        }

        // libvirt's scaling (virScaleInteger) refuses what does not fit rather than wrapping around.
        if (value > ulong.MaxValue / scale.Value)
        {
            throw DriverErrors.Create(VirtErrorCode.Overflow, VirtErrorDomain.None, $"numerical overflow: value too large: {value}{unit}",
                "numerical overflow: %s", $"value too large: {value}{unit}");
        }

        return value * scale.Value;
    }
}
