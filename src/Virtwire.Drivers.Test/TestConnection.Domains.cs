using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

internal sealed partial class TestConnection
{
    private const uint AllListFlags = 0xFFFF;

    public ValueTask<IReadOnlyList<DomainRef>> ListDomainsAsync(ListDomainsFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, AllListFlags, "testConnectListAllDomains");
        return ValueTask.FromResult<IReadOnlyList<DomainRef>>(_state.Read(() =>
            _state.Domains.Where(d => Matches(d, flags)).OrderBy(d => d.IsActive ? 0 : 1).ThenBy(d => d.IsActive ? d.Id : 0)
                .ThenBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Ref).ToArray()));
    }

    private static bool Matches(TestDomain d, ListDomainsFlags flags)
    {
        static bool Group(ListDomainsFlags flags, ListDomainsFlags yes, ListDomainsFlags no, bool value) =>
            (flags & (yes | no)) == 0 || (flags & (yes | no)) == (yes | no) || (value ? (flags & yes) != 0 : (flags & no) != 0);

        var stateGroup = ListDomainsFlags.Running | ListDomainsFlags.Paused | ListDomainsFlags.Shutoff | ListDomainsFlags.Other;
        var stateOk = (flags & stateGroup) == 0 || d.State switch
        {
            DomainState.Running => flags.HasFlag(ListDomainsFlags.Running),
            DomainState.Paused => flags.HasFlag(ListDomainsFlags.Paused),
            DomainState.Shutoff => flags.HasFlag(ListDomainsFlags.Shutoff),
            _ => flags.HasFlag(ListDomainsFlags.Other),
        };
        return stateOk &&
            Group(flags, ListDomainsFlags.Active, ListDomainsFlags.Inactive, d.IsActive) &&
            Group(flags, ListDomainsFlags.Persistent, ListDomainsFlags.Transient, d.Persistent) &&
            Group(flags, ListDomainsFlags.ManagedSave, ListDomainsFlags.NoManagedSave, false) &&
            Group(flags, ListDomainsFlags.Autostart, ListDomainsFlags.NoAutostart, d.Autostart) &&
            Group(flags, ListDomainsFlags.HasSnapshot, ListDomainsFlags.NoSnapshot, false) &&
            Group(flags, ListDomainsFlags.HasCheckpoint, ListDomainsFlags.NoCheckpoint, false);
    }

    public ValueTask<DomainRef> LookupDomainByIdAsync(int id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => (_state.Domains.FirstOrDefault(d => d.IsActive && d.Id == id) ?? throw TestState.NoDomain()).Ref));

    public ValueTask<DomainRef> LookupDomainByNameAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => (_state.Domains.FirstOrDefault(d => d.Name == name) ?? throw TestState.NoDomain()).Ref));

    public ValueTask<DomainRef> LookupDomainByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => (_state.Domains.FirstOrDefault(d => d.Uuid == uuid) ?? throw TestState.NoDomain()).Ref));

    // libvirt's test driver reports the wall clock as the domain's CPU time.
    private static ulong CpuTimeNow() => (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L);

    public ValueTask<DomainInfo> GetDomainInfoAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            return new DomainInfo(d.State, d.MaxMemoryKiB, d.MemoryKiB, d.Vcpus, CpuTimeNow());
        }));

    public ValueTask<(DomainState State, int Reason)> GetDomainStateAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainGetState");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            return (d.State, d.Reason);
        }));
    }

    public ValueTask<string> GetDomainXmlAsync(DomainRef domain, DomainXmlFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0xF, "testDomainGetXMLDesc");
        return ValueTask.FromResult(_state.Read(() => FormatDomain(_state.FindDomain(domain), flags.HasFlag(DomainXmlFlags.Inactive))));
    }

    public ValueTask<string> GetDomainOsTypeAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            _state.FindDomain(domain);
            return "linux";
        }));

    public ValueTask<ulong> GetDomainMaxMemoryAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).MaxMemoryKiB));

    public ValueTask<int> GetDomainMaxVcpusAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).MaxVcpus));

    public ValueTask<int> GetDomainVcpusAsync(DomainRef domain, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0x1F, "testDomainGetVcpusFlags");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            if (flags.HasFlag(DomainVcpuFlags.Live) && !d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
            }

            return flags.HasFlag(DomainVcpuFlags.Maximum) ? d.MaxVcpus : d.Vcpus;
        }));
    }

    public ValueTask SetDomainVcpusAsync(DomainRef domain, uint count, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0x7, "testDomainSetVcpusFlags");
        _state.Mutate(_ =>
        {
            var d = _state.FindDomain(domain);
            if (count == 0 || count > (flags.HasFlag(DomainVcpuFlags.Maximum) ? 32 : (uint)d.MaxVcpus))
            {
                throw TestState.InvalidArg($"requested vcpus is greater than max allowable vcpus for the domain: {count} > {d.MaxVcpus}");
            }

            if (flags.HasFlag(DomainVcpuFlags.Maximum))
            {
                d.MaxVcpus = (int)count;
                d.Vcpus = Math.Min(d.Vcpus, d.MaxVcpus);
            }
            else
            {
                d.Vcpus = (int)count;
            }

            return 0;
        });
        return Done();
    }

    public ValueTask<bool> GetDomainAutostartAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).Autostart));

    public ValueTask SetDomainAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken)
    {
        _state.Mutate(_ => _state.FindDomain(domain).Autostart = autostart);
        return Done();
    }

    public ValueTask SetDomainMemoryAsync(DomainRef domain, ulong memoryKiB, DomainModificationImpact flags, CancellationToken cancellationToken)
    {
        _state.Mutate(_ =>
        {
            var d = _state.FindDomain(domain);
            if (memoryKiB > d.MaxMemoryKiB)
            {
                throw TestState.InvalidArg("cannot set memory higher than max memory");
            }

            d.MemoryKiB = memoryKiB;
            return 0;
        });
        return Done();
    }

    public ValueTask SetDomainMaxMemoryAsync(DomainRef domain, ulong memoryKiB, CancellationToken cancellationToken)
    {
        _state.Mutate(_ =>
        {
            var d = _state.FindDomain(domain);
            if (d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, "cannot resize the maximum memory on an active domain");
            }

            d.MaxMemoryKiB = memoryKiB;
            d.MemoryKiB = Math.Min(d.MemoryKiB, memoryKiB);
            return 0;
        });
        return Done();
    }

    public ValueTask<DomainRef> DefineDomainAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 1, "testDomainDefineXMLFlags");
        var parsed = ParseDomain(_state, LibvirtXml.Parse(xml, "domain_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckDuplicate(parsed);
            if (existing is not null)
            {
                // Redefinition keeps the live state and replaces the configuration.
                existing.MaxMemoryKiB = parsed.MaxMemoryKiB;
                existing.MemoryKiB = parsed.MemoryKiB;
                existing.Vcpus = parsed.Vcpus;
                existing.MaxVcpus = parsed.MaxVcpus;
                existing.OsType = parsed.OsType;
                existing.Arch = parsed.Arch;
                existing.Title = parsed.Title;
                existing.Description = parsed.Description;
                existing.Devices = parsed.Devices;
                existing.Persistent = true;
                events.Add(new DomainLifecycleDriverEvent(existing.Ref, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Updated));
                return existing.Ref;
            }

            parsed.Persistent = true;
            _state.Domains.Add(parsed);
            events.Add(new DomainLifecycleDriverEvent(parsed.Ref, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Added));
            return parsed.Ref;
        }));
    }

    /// <summary>libvirt's rules for a new definition against existing domains: same name needs the same UUID and vice versa.</summary>
    private TestDomain? CheckDuplicate(TestDomain parsed)
    {
        var byUuid = _state.Domains.FirstOrDefault(d => d.Uuid == parsed.Uuid);
        if (byUuid is not null)
        {
            if (byUuid.Name != parsed.Name)
            {
                var detail = $"domain '{byUuid.Name}' is already defined with uuid {byUuid.Uuid}";
                throw DriverErrors.Create(VirtErrorCode.OperationFailed, VirtErrorDomain.Domain, "operation failed: " + detail, "operation failed: %s", detail);
            }

            return byUuid;
        }

        var byName = _state.Domains.FirstOrDefault(d => d.Name == parsed.Name);
        if (byName is not null)
        {
            var detail = $"domain '{byName.Name}' already exists with uuid {byName.Uuid}";
            throw DriverErrors.Create(VirtErrorCode.OperationFailed, VirtErrorDomain.Domain, "operation failed: " + detail, "operation failed: %s", detail);
        }

        return null;
    }

    public ValueTask UndefineDomainAsync(DomainRef domain, DomainUndefineFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0x7F, "testDomainUndefineFlags");
        _state.Mutate(events =>
        {
            // libvirt's test driver accepts undefining a transient domain: it stays until it stops.
            var d = _state.FindDomain(domain);
            events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Undefined, (int)DomainEventUndefinedDetail.Removed));
            if (d.IsActive)
            {
                d.Persistent = false;
            }
            else
            {
                _state.Domains.Remove(d);
            }

            return 0;
        });
        return Done();
    }

    public ValueTask<DomainRef> StartDomainAsync(DomainRef domain, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, (uint)(DomainCreateFlags.Paused | DomainCreateFlags.AutoDestroy | DomainCreateFlags.BypassCache |
            DomainCreateFlags.ForceBoot | DomainCreateFlags.ResetNvram), "testDomainCreateWithFlags");
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.IsActive)
            {
                throw TestState.Internal($"Domain '{d.Name}' is already running");
            }

            Start(d, flags, events);
            return d.Ref;
        }));
    }

    private void Start(TestDomain d, DomainCreateFlags flags, List<DriverEvent> events)
    {
        d.Id = _state.NextId++;
        d.State = DomainState.Running;
        d.Reason = (int)DomainRunningReason.Booted;
        events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Started, (int)DomainEventStartedDetail.Booted));
        if (flags.HasFlag(DomainCreateFlags.Paused))
        {
            d.State = DomainState.Paused;
            d.Reason = (int)DomainPausedReason.User;
            events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused));
        }
    }

    public ValueTask<DomainRef> CreateDomainAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, (uint)(DomainCreateFlags.Paused | DomainCreateFlags.Validate), "testDomainCreateXML");
        var parsed = ParseDomain(_state, LibvirtXml.Parse(xml, "domain_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckDuplicate(parsed);
            if (existing is not null)
            {
                if (existing.IsActive)
                {
                    throw TestState.Invalid(VirtErrorDomain.Domain, $"domain '{existing.Name}' is already active");
                }

                Start(existing, flags, events);
                return existing.Ref;
            }

            parsed.Persistent = false;
            _state.Domains.Add(parsed);
            Start(parsed, flags, events);
            return parsed.Ref;
        }));
    }

    /// <summary>Moves a running domain to shut off; a transient domain disappears.</summary>
    private void Stop(TestDomain d, DomainShutoffReason reason, DomainEventStoppedDetail detail, List<DriverEvent> events)
    {
        var before = d.Ref;
        d.Id = -1;
        d.State = DomainState.Shutoff;
        d.Reason = (int)reason;
        events.Add(new DomainLifecycleDriverEvent(before, DomainLifecycleEvent.Stopped, (int)detail));
        if (!d.Persistent)
        {
            _state.Domains.Remove(d);
        }
    }

    public ValueTask DestroyDomainAsync(DomainRef domain, DomainDestroyFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, (uint)DomainDestroyFlags.Graceful, "testDomainDestroyFlags");
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (!d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
            }

            Stop(d, DomainShutoffReason.Destroyed, DomainEventStoppedDetail.Destroyed, events);
            return 0;
        });
        return Done();
    }

    public ValueTask ShutdownDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0x3F, "testDomainShutdownFlags");
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State != DomainState.Running)
            {
                throw TestState.Internal($"domain '{d.Name}' not running");
            }

            Stop(d, DomainShutoffReason.Shutdown, DomainEventStoppedDetail.Shutdown, events);
            return 0;
        });
        return Done();
    }

    public ValueTask RebootDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0x3F, "testDomainReboot");
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (!d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
            }

            // libvirt 9.0's test driver reboots in place and raises no event for it (checked against libvirtd).
            d.State = DomainState.Running;
            d.Reason = (int)DomainRunningReason.Booted;
            return 0;
        });
        return Done();
    }

    public ValueTask ResetDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainReset");
        _state.Mutate(_ =>
        {
            var d = _state.FindDomain(domain);
            if (!d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
            }

            return 0;
        });
        return Done();
    }

    public ValueTask SuspendDomainAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State != DomainState.Running)
            {
                throw TestState.Internal($"domain '{d.Name}' not running");
            }

            d.State = DomainState.Paused;
            d.Reason = (int)DomainPausedReason.User;
            events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused));
            return 0;
        });
        return Done();
    }

    public ValueTask ResumeDomainAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State != DomainState.Paused)
            {
                throw TestState.Internal($"domain '{d.Name}' not paused");
            }

            d.State = DomainState.Running;
            d.Reason = (int)DomainRunningReason.Unpaused;
            events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Resumed, (int)DomainEventResumedDetail.Unpaused));
            return 0;
        });
        return Done();
    }

    public ValueTask<bool> IsDomainActiveAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).IsActive));

    public ValueTask<bool> IsDomainPersistentAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).Persistent));

    public ValueTask<bool> IsDomainUpdatedAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain) is null));

    public ValueTask<bool> HasManagedSaveImageAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain) is null));

    public ValueTask<int> GetSnapshotCountAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain) is null ? 1 : 0));

    public ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            // Only a running domain has a label; libvirt reports an empty, non-enforcing one otherwise.
            return _state.FindDomain(domain).IsActive ? ("libvirt-test", true) : (string.Empty, false);
        }));

    public ValueTask<string> GetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            var value = type switch
            {
                DomainMetadataType.Title => d.Title,
                DomainMetadataType.Description => d.Description,
                _ => null,
            };
            return value ?? throw DriverErrors.Create(VirtErrorCode.NoDomainMetadata, VirtErrorDomain.Domain,
                "metadata not found: Requested metadata element is not present", "metadata not found: %s", "Requested metadata element is not present");
        }));

    public ValueTask SetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri, uint flags, CancellationToken cancellationToken)
    {
        _state.Mutate(_ =>
        {
            var d = _state.FindDomain(domain);
            switch (type)
            {
                case DomainMetadataType.Title:
                    d.Title = string.IsNullOrEmpty(metadata) ? null : metadata;
                    break;
                case DomainMetadataType.Description:
                    d.Description = string.IsNullOrEmpty(metadata) ? null : metadata;
                    break;
                default:
                    throw DriverErrors.Create(VirtErrorCode.ArgumentUnsupported, VirtErrorDomain.Test,
                        "argument unsupported: metadata elements are not supported", "argument unsupported: %s", "metadata elements are not supported");
            }

            return 0;
        });
        return Done();
    }

    public ValueTask<IReadOnlyList<string>> GetDomainMessagesAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(_state.Read(() =>
        {
            _state.FindDomain(domain);
            return Array.Empty<string>();
        }));

    public ValueTask<IReadOnlyList<DomainStatsRecord>> GetAllDomainStatsAsync(IReadOnlyList<DomainRef> domains, DomainStatsTypes stats, GetAllDomainStatsFlags flags, CancellationToken cancellationToken)
    {
        var filter = (ListDomainsFlags)((uint)flags & 0xFF);
        return ValueTask.FromResult<IReadOnlyList<DomainStatsRecord>>(_state.Read(() =>
        {
            var selected = domains.Count > 0
                ? domains.Select(_state.FindDomain).ToList()
                : _state.Domains.Where(d => Matches(d, filter)).OrderBy(d => d.IsActive ? d.Id : int.MaxValue).ToList();

            // libvirt's test driver fills the state group only; asking for nothing means everything it has.
            return selected.Select(d => new DomainStatsRecord(d.Ref,
                stats == DomainStatsTypes.None || stats.HasFlag(DomainStatsTypes.State)
                    ? [new DriverTypedParameter("state.state", (int)d.State), new DriverTypedParameter("state.reason", d.Reason)]
                    : [])).ToArray();
        }));
    }

    /// <summary>Parses a domain definition into a new (inactive) domain, with libvirt's errors for what is missing.</summary>
    internal static TestDomain ParseDomain(TestState state, XElement root)
    {
        if (root.Name.LocalName != "domain")
        {
            var detail = $"unexpected root element <{root.Name.LocalName}>, expecting <domain>";
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Domain, "XML error: " + detail, "XML error: %s", detail);
        }

        var name = ((string?)root.Element("name"))?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.NoName, VirtErrorDomain.Domain, "missing name information");
        }

        var uuid = NewUuid();
        var uuidText = (string?)root.Element("uuid");
        if (uuidText is not null && !XdrUuid.TryParse(uuidText.Trim(), out uuid))
        {
            var detail = $"malformed uuid element";
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Domain, "internal error: " + detail, "internal error: %s", detail);
        }

        var memory = LibvirtXml.ParseKiB(root.Element("memory"), 0);
        if (memory == 0)
        {
            const string Detail = "Memory size must be specified via <memory> or in the <numa> configuration";
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Domain, "XML error: " + Detail, "XML error: %s", Detail);
        }

        var current = Math.Min(LibvirtXml.ParseKiB(root.Element("currentMemory"), memory), memory);
        var vcpu = root.Element("vcpu");
        var maxVcpus = int.TryParse((string?)vcpu, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 1;
        var vcpus = int.TryParse((string?)vcpu?.Attribute("current"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0 ? c : maxVcpus;
        var type = root.Element("os")?.Element("type");
        return new TestDomain
        {
            Name = name,
            Uuid = uuid,
            MaxMemoryKiB = memory,
            MemoryKiB = current,
            MaxVcpus = maxVcpus,
            Vcpus = Math.Min(vcpus, maxVcpus),
            OsType = ((string?)type)?.Trim() is { Length: > 0 } os ? os : "hvm",
            Arch = (string?)type?.Attribute("arch") ?? "i686",
            Title = (string?)root.Element("title"),
            Description = (string?)root.Element("description"),
            Devices = root.Element("devices")?.Elements().Select(e => new XElement(e)).ToList() ?? [],
        };
    }

    /// <summary>Formats a domain the way libvirt's test driver dumps it.</summary>
    private static string FormatDomain(TestDomain d, bool inactive)
    {
        var b = new StringBuilder();
        b.Append("<domain type='test'");
        if (d.IsActive && !inactive)
        {
            b.Append(" id='").Append(d.Id.ToString(CultureInfo.InvariantCulture)).Append('\'');
        }

        b.Append(">\n");
        b.Append("  <name>").Append(LibvirtXml.Escape(d.Name, false)).Append("</name>\n");
        b.Append("  <uuid>").Append(d.Uuid.ToString()).Append("</uuid>\n");
        if (d.Title is not null)
        {
            b.Append("  <title>").Append(LibvirtXml.Escape(d.Title, false)).Append("</title>\n");
        }

        if (d.Description is not null)
        {
            b.Append("  <description>").Append(LibvirtXml.Escape(d.Description, false)).Append("</description>\n");
        }

        b.Append("  <memory unit='KiB'>").Append(d.MaxMemoryKiB.ToString(CultureInfo.InvariantCulture)).Append("</memory>\n");
        b.Append("  <currentMemory unit='KiB'>").Append(d.MemoryKiB.ToString(CultureInfo.InvariantCulture)).Append("</currentMemory>\n");
        b.Append("  <vcpu placement='static'");
        if (d.Vcpus != d.MaxVcpus)
        {
            b.Append(" current='").Append(d.Vcpus.ToString(CultureInfo.InvariantCulture)).Append('\'');
        }

        b.Append('>').Append(d.MaxVcpus.ToString(CultureInfo.InvariantCulture)).Append("</vcpu>\n");
        b.Append("  <os>\n");
        b.Append("    <type arch='").Append(d.Arch).Append("'>").Append(d.OsType).Append("</type>\n");
        b.Append("    <boot dev='hd'/>\n");
        b.Append("  </os>\n");
        b.Append("  <clock offset='utc'/>\n");
        b.Append("  <on_poweroff>destroy</on_poweroff>\n");
        b.Append("  <on_reboot>restart</on_reboot>\n");
        b.Append("  <on_crash>destroy</on_crash>\n");
        b.Append("  <devices>\n");
        foreach (var device in d.Devices)
        {
            LibvirtXml.Format(b, device, 4);
        }

        b.Append("  </devices>\n");
        b.Append("</domain>\n");
        return b.ToString();
    }
}
