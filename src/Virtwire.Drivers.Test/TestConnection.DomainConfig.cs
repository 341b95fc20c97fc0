using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>Calls that read or change a domain's definitions: vCPUs, memory, metadata, and stats.</summary>
internal sealed partial class TestConnection
{
    private const int HostMaxVcpus = 32;
    private const uint MemoryMaximum = 4;

    /// <summary>
    /// libvirt's modification impact: "current" means live for a running domain and config otherwise;
    /// live needs a running domain, config a persistent one.
    /// </summary>
    private static (DomainDef? Live, DomainDef? Config) Impact(TestDomain d, uint flags)
    {
        var live = (flags & (uint)DomainModificationImpact.Live) != 0;
        var config = (flags & (uint)DomainModificationImpact.Config) != 0;
        if (!live && !config)
        {
            live = d.IsActive;
            config = !d.IsActive;
        }

        if (live && !d.IsActive)
        {
            throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
        }

        if (config && !d.Persistent)
        {
            throw TestState.Invalid(VirtErrorDomain.Domain, "transient domains do not have any persistent config");
        }

        return (live ? d.Live : null, config ? d.Config : null);
    }

    private static DomainDef OneDef(TestDomain d, uint flags)
    {
        var (live, config) = Impact(d, flags);
        return live ?? config!;
    }

    public ValueTask<int> GetDomainMaxVcpusAsync(DomainRef domain, CancellationToken cancellationToken) =>
        GetDomainVcpusAsync(domain, DomainVcpuFlags.Live | DomainVcpuFlags.Maximum, cancellationToken);

    public ValueTask<int> GetDomainVcpusAsync(DomainRef domain, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0x7, "testDomainGetVcpusFlags");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var def = OneDef(_state.FindDomain(domain), (uint)flags);
            return flags.HasFlag(DomainVcpuFlags.Maximum) ? def.MaxVcpus : def.Vcpus;
        }));
    }

    public ValueTask SetDomainVcpusAsync(DomainRef domain, uint count, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        // The public API's own checks, which libvirt runs before any driver.
        if (count == 0)
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
                "nvcpus in virDomainSetVcpusFlags must not be zero", "virDomainSetVcpusFlags", "nvcpus") with { Int1 = 0, Int2 = 0 });
        }

        var maximum = flags.HasFlag(DomainVcpuFlags.Maximum);
        if (maximum && !flags.HasFlag(DomainVcpuFlags.Config))
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
                "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'", "virDomainSetVcpusFlags", "ctl") with { Int1 = 0, Int2 = 0 });
        }

        TestState.CheckFlags((uint)flags, 0x7, "testDomainSetVcpusFlags");
        if (count > HostMaxVcpus)
        {
            throw TestState.InvalidArg($"requested cpu amount exceeds maximum supported amount ({count} > {HostMaxVcpus})");
        }

        _state.Mutate(_ =>
        {
            var (live, config) = Impact(_state.FindDomain(domain), (uint)flags);
            if (live is not null && count > live.MaxVcpus)
            {
                throw TestState.InvalidArg($"requested cpu amount exceeds maximum ({count} > {live.MaxVcpus})");
            }

            if (config is not null && !maximum && count > config.MaxVcpus)
            {
                throw TestState.InvalidArg($"requested cpu amount exceeds maximum ({count} > {config.MaxVcpus})");
            }

            if (live is not null)
            {
                live.Vcpus = (int)count;
            }

            if (config is not null)
            {
                if (maximum)
                {
                    config.MaxVcpus = (int)count;
                    config.Vcpus = Math.Min(config.Vcpus, config.MaxVcpus);
                }
                else
                {
                    config.Vcpus = (int)count;
                }
            }

            return 0;
        });
        return Done();
    }

    /// <summary>SET_MEMORY_FLAGS: impact bits plus VIR_DOMAIN_MEM_MAXIMUM (4) to change the maximum instead.</summary>
    public ValueTask SetDomainMemoryAsync(DomainRef domain, ulong memoryKiB, DomainModificationImpact flags, CancellationToken cancellationToken)
    {
        var bits = (uint)flags;
        TestState.CheckFlags(bits, 0x7, "testDomainSetMemoryFlags");
        _state.Mutate(_ =>
        {
            var (live, config) = Impact(_state.FindDomain(domain), bits);
            if ((bits & MemoryMaximum) != 0)
            {
                if (live is not null)
                {
                    throw TestState.Invalid(VirtErrorDomain.Test, "cannot resize the maximum memory on an active domain");
                }

                config!.MaxMemoryKiB = memoryKiB;
                config.MemoryKiB = Math.Min(config.MemoryKiB, memoryKiB);
                return 0;
            }

            if ((live is not null && memoryKiB > live.MaxMemoryKiB) || (config is not null && memoryKiB > config.MaxMemoryKiB))
            {
                throw TestState.InvalidArg("cannot set memory higher than max memory");
            }

            live?.MemoryKiB = memoryKiB;
            config?.MemoryKiB = memoryKiB;
            return 0;
        });
        return Done();
    }

    /// <summary>SET_MAX_MEMORY: the current definition's maximum (fails on a running domain).</summary>
    public ValueTask SetDomainMaxMemoryAsync(DomainRef domain, ulong memoryKiB, CancellationToken cancellationToken) =>
        SetDomainMemoryAsync(domain, memoryKiB, (DomainModificationImpact)MemoryMaximum, cancellationToken);

    private static RpcRemoteException NoMetadata() =>
        DriverErrors.Create(VirtErrorCode.NoDomainMetadata, VirtErrorDomain.Domain,
            "metadata not found: Requested metadata element is not present", "metadata not found: %s", "Requested metadata element is not present");

    public ValueTask<string> GetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri, uint flags, CancellationToken cancellationToken)
    {
        if (type == DomainMetadataType.Element && uri is null)
        {
            throw ApiArgumentNull("uri", "virDomainGetMetadata");
        }

        TestState.CheckFlags(flags, 0x3, "testDomainGetMetadata");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var def = OneDef(_state.FindDomain(domain), flags);
            switch (type)
            {
                case DomainMetadataType.Title:
                    return def.Title ?? throw NoMetadata();
                case DomainMetadataType.Description:
                    return def.Description ?? throw NoMetadata();
                case DomainMetadataType.Element:
                    var element = def.Metadata.FirstOrDefault(e => e.Name.NamespaceName == uri) ?? throw NoMetadata();

                    // libvirt hands the element back without its namespace.
                    return LibvirtXml.FormatForeign(StripNamespace(element)).TrimEnd('\n');
                default:
                    throw InvalidMetadataType(type);
            }
        }));
    }

    private static XElement StripNamespace(XElement element) =>
        new(element.Name.LocalName,
            element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name.LocalName, a.Value)),
            element.Nodes().Select(n => n is XElement child ? StripNamespace(child) : n));

    /// <summary>The public API's check for a required argument, which libvirt makes before any driver runs.</summary>
    private static RpcRemoteException ApiArgumentNull(string argument, string function) =>
        new(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain, $"{argument} in {function} must not be NULL", function, argument) with
        {
            Int1 = 0,
            Int2 = 0,
        });

    private static RpcRemoteException InvalidMetadataType(DomainMetadataType type) =>
        DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain, $"invalid argument: unknown metadata type '{(int)type}'",
            "invalid argument: %s", $"unknown metadata type '{(int)type}'");

    public ValueTask SetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri, uint flags, CancellationToken cancellationToken)
    {
        if (type == DomainMetadataType.Element && uri is null)
        {
            throw ApiArgumentNull("uri", "virDomainSetMetadata");
        }

        if (type == DomainMetadataType.Element && !string.IsNullOrEmpty(metadata) && key is null)
        {
            throw ApiArgumentNull("key", "virDomainSetMetadata");
        }

        TestState.CheckFlags(flags, 0x3, "testDomainSetMetadata");
        XElement? element = null;
        if (type == DomainMetadataType.Element && !string.IsNullOrEmpty(metadata))
        {
            // The new element goes into the caller's namespace under the caller's prefix.
            var parsed = LibvirtXml.Parse(metadata, "(metadata_xml)", VirtErrorDomain.Domain);
            XNamespace ns = uri ?? string.Empty;
            element = Rename(parsed, ns);
            element.Add(new XAttribute(XNamespace.Xmlns + key!, ns.NamespaceName));
        }

        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            var (live, config) = Impact(d, flags);
            foreach (var def in new[] { live, config })
            {
                if (def is null)
                {
                    continue;
                }

                var value = string.IsNullOrEmpty(metadata) ? null : metadata;
                switch (type)
                {
                    case DomainMetadataType.Title:
                        def.Title = value;
                        break;
                    case DomainMetadataType.Description:
                        def.Description = value;
                        break;
                    case DomainMetadataType.Element:
                        def.Metadata.RemoveAll(e => e.Name.NamespaceName == uri);
                        if (element is not null)
                        {
                            def.Metadata.Add(new XElement(element));
                        }

                        break;
                    default:
                        throw InvalidMetadataType(type);
                }
            }

            events.Add(new DomainMetadataChangeDriverEvent(d.Ref, type, uri));
            return 0;
        });
        return Done();
    }

    private static XElement Rename(XElement element, XNamespace ns) =>
        new(ns + element.Name.LocalName,
            element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name.LocalName, a.Value)),
            element.Nodes().Select(n => n is XElement child ? Rename(child, ns) : n));

    public ValueTask<IReadOnlyList<DomainStatsRecord>> GetAllDomainStatsAsync(IReadOnlyList<DomainRef> domains, DomainStatsTypes stats, GetAllDomainStatsFlags flags, CancellationToken cancellationToken)
    {
        // The test driver has the state group only; other groups come back empty unless the caller insists.
        var unsupported = (uint)stats & ~(uint)DomainStatsTypes.State;
        if (unsupported != 0 && flags.HasFlag(GetAllDomainStatsFlags.EnforceStats))
        {
            var detail = $"Stats types bits 0x{unsupported:x} are not supported by this daemon";
            throw DriverErrors.Create(VirtErrorCode.ArgumentUnsupported, VirtErrorDomain.Test, "argument unsupported: " + detail, "argument unsupported: %s", detail);
        }

        var filter = (ListDomainsFlags)((uint)flags & 0xFF);
        var withState = stats == DomainStatsTypes.None || stats.HasFlag(DomainStatsTypes.State);
        return ValueTask.FromResult<IReadOnlyList<DomainStatsRecord>>(_state.Read(() =>
        {
            var selected = domains.Count > 0 ? [.. domains.Select(_state.FindDomain)] : ListMatching(filter).ToList();
            return selected.Select(d => new DomainStatsRecord(d.Ref,
                withState
                    ? [new DriverTypedParameter("state.state", (int)d.State), new DriverTypedParameter("state.reason", d.Reason)]
                    : [])).ToArray();
        }));
    }
}
