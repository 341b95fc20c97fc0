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
        return ValueTask.FromResult<IReadOnlyList<DomainRef>>(_state.Read(() => ListMatching(flags).Select(d => d.Ref).ToArray()));
    }

    private IEnumerable<TestDomain> ListMatching(ListDomainsFlags flags) =>
        _state.Domains.Where(d => Matches(d, flags)).OrderBy(d => d.IsActive ? 0 : 1).ThenBy(d => d.IsActive ? d.Id : 0)
            .ThenBy(d => d.Name, StringComparer.Ordinal);

    internal static bool Matches(TestDomain d, ListDomainsFlags flags) =>
        DomainListFilter.Matches(flags, d.State, d.IsActive, d.Persistent, d.Autostart);

    // Lookups by id, name or UUID fail with a bare "Domain not found", as libvirt 9's test driver reports them.
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
            return new DomainInfo(d.State, d.Def.MaxMemoryKiB, d.Def.MemoryKiB, d.Def.Vcpus, CpuTimeNow());
        }));

    // libvirt's test driver derives every memory statistic from the current memory (last_update is a fixed stamp).
    public ValueTask<IReadOnlyList<(DomainMemoryStatTag Tag, ulong Value)>> GetDomainMemoryStatsAsync(DomainRef domain, uint flags,
        CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainMemoryStats");
        return ValueTask.FromResult<IReadOnlyList<(DomainMemoryStatTag, ulong)>>(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            if (!d.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, "domain is not running");
            }

            var current = d.Def.MemoryKiB;
            return new (DomainMemoryStatTag, ulong)[]
            {
                (DomainMemoryStatTag.ActualBalloon, current),
                (DomainMemoryStatTag.SwapIn, 0),
                (DomainMemoryStatTag.SwapOut, 0),
                (DomainMemoryStatTag.MajorFault, 0),
                (DomainMemoryStatTag.MinorFault, 0),
                (DomainMemoryStatTag.Unused, current / 2),
                (DomainMemoryStatTag.Available, current),
                (DomainMemoryStatTag.Usable, current / 2),
                (DomainMemoryStatTag.LastUpdate, 627319920),
                (DomainMemoryStatTag.DiskCaches, current / 8),
                (DomainMemoryStatTag.HugetlbPgalloc, 0),
                (DomainMemoryStatTag.HugetlbPgfail, 0),
                (DomainMemoryStatTag.Rss, current / 2),
            };
        }));
    }

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
        TestState.CheckFlags((uint)flags, (uint)(DomainXmlFlags.Secure | DomainXmlFlags.Inactive | DomainXmlFlags.Migratable), "testDomainGetXMLDesc");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var d = _state.FindDomain(domain);
            var inactive = flags.HasFlag(DomainXmlFlags.Inactive) && d.Config is not null;
            return TestDomainXml.Format(d, inactive ? d.Config! : d.Def, d.IsActive && !inactive);
        }));
    }

    public ValueTask<string> GetDomainOsTypeAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            _state.FindDomain(domain);

            // The test driver answers "linux" whatever the definition says.
            return "linux";
        }));

    public ValueTask<ulong> GetDomainMaxMemoryAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).Def.MaxMemoryKiB));

    public ValueTask<bool> GetDomainAutostartAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain).Autostart));

    public ValueTask SetDomainAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken)
    {
        _state.Mutate(_ => _state.FindDomain(domain).Autostart = autostart);
        return Done();
    }

    public ValueTask<DomainRef> DefineDomainAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 1, "testDomainDefineXMLFlags");
        var (name, uuid, def) = TestDomainXml.Parse(xml);
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckDuplicate(name, uuid, requireInactive: false);
            if (existing is not null)
            {
                // Redefinition replaces the persistent configuration; a running domain keeps its live one.
                if (existing.IsActive)
                {
                    existing.KeepsIdOnStop = false;
                }
                else
                {
                    existing.Live = null;
                }

                existing.Config = def;
                events.Add(new DomainLifecycleDriverEvent(existing.Ref, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Updated));
                return existing.Ref;
            }

            var added = new TestDomain { Name = name, Uuid = uuid, Config = def };
            _state.Domains.Add(added);
            events.Add(new DomainLifecycleDriverEvent(added.Ref, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Added));
            return added.Ref;
        }));
    }

    /// <summary>libvirt's rules for a new definition against existing domains: same name needs the same UUID and vice versa.</summary>
    private TestDomain? CheckDuplicate(string name, XdrUuid uuid, bool requireInactive)
    {
        var byUuid = _state.Domains.FirstOrDefault(d => d.Uuid == uuid);
        if (byUuid is not null)
        {
            if (byUuid.Name != name)
            {
                throw TestState.OperationFailed(VirtErrorDomain.Domain, $"domain '{byUuid.Name}' is already defined with uuid {byUuid.Uuid}");
            }

            if (requireInactive && byUuid.IsActive)
            {
                throw TestState.Invalid(VirtErrorDomain.Domain, $"domain '{byUuid.Name}' is already active");
            }

            return byUuid;
        }

        var byName = _state.Domains.FirstOrDefault(d => d.Name == name);
        if (byName is not null)
        {
            throw TestState.OperationFailed(VirtErrorDomain.Domain, $"domain '{byName.Name}' already exists with uuid {byName.Uuid}");
        }

        return null;
    }

    public ValueTask UndefineDomainAsync(DomainRef domain, DomainUndefineFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, (uint)(DomainUndefineFlags.ManagedSave | DomainUndefineFlags.SnapshotsMetadata), "testDomainUndefineFlags");
        _state.Mutate(events =>
        {
            // libvirt's test driver accepts undefining a transient domain: it stays until it stops.
            var d = _state.FindDomain(domain);
            events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Undefined, (int)DomainEventUndefinedDetail.Removed));
            if (d.IsActive)
            {
                d.Config = null;
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
        // libvirt 9's test driver knows no start flag, not even START_PAUSED.
        TestState.CheckFlags((uint)flags, 0, "testDomainCreateWithFlags");
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State != DomainState.Shutoff)
            {
                throw TestState.Internal($"Domain '{d.Name}' is already running");
            }

            Start(d, d.Config!.Clone(), events);
            return d.Ref;
        }));
    }

    private void Start(TestDomain d, DomainDef live, List<DriverEvent> events)
    {
        d.Live = live;
        d.KeepsIdOnStop = !d.Persistent;
        d.Id = _state.NextId++;
        d.State = DomainState.Running;
        d.Reason = (int)DomainRunningReason.Booted;
        events.Add(new DomainLifecycleDriverEvent(d.Ref, DomainLifecycleEvent.Started, (int)DomainEventStartedDetail.Booted));
    }

    public ValueTask<DomainRef> CreateDomainAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, (uint)DomainCreateFlags.Validate, "testDomainCreateXML");
        var (name, uuid, def) = TestDomainXml.Parse(xml);
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var d = CheckDuplicate(name, uuid, requireInactive: true);
            if (d is null)
            {
                d = new TestDomain { Name = name, Uuid = uuid };
                _state.Domains.Add(d);
            }

            Start(d, def, events);
            return d.Ref;
        }));
    }

    /// <summary>Moves an active domain to shut off; a transient domain disappears.</summary>
    private void Stop(TestDomain d, DomainShutoffReason reason, DomainEventStoppedDetail detail, List<DriverEvent> events)
    {
        // libvirt drops the id with the live definition; a domain started transient keeps it in the event.
        var id = d.KeepsIdOnStop ? d.Id : -1;
        d.Id = -1;
        d.Live = null;
        d.State = DomainState.Shutoff;
        d.Reason = (int)reason;
        events.Add(new DomainLifecycleDriverEvent(d.Ref with { Id = id }, DomainLifecycleEvent.Stopped, (int)detail));
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
            CheckActive(d);
            Stop(d, DomainShutoffReason.Destroyed, DomainEventStoppedDetail.Destroyed, events);
            return 0;
        });
        return Done();
    }

    private static void CheckActive(TestDomain d)
    {
        if (!d.IsActive)
        {
            throw TestState.Invalid(VirtErrorDomain.Domain, "domain is not running");
        }
    }

    public ValueTask ShutdownDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainShutdownFlags");
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State == DomainState.Shutoff)
            {
                throw TestState.Internal($"domain '{d.Name}' not running");
            }

            ApplyAction(d, d.Def.OnPoweroff, events);
            return 0;
        });
        return Done();
    }

    /// <summary>What the guest does on power-off or reboot: restart in place, or stop (any other action).</summary>
    private void ApplyAction(TestDomain d, string action, List<DriverEvent> events)
    {
        if (action is "restart" or "rename-restart")
        {
            d.State = DomainState.Running;
            d.Reason = (int)DomainRunningReason.Booted;
            return;
        }

        Stop(d, DomainShutoffReason.Shutdown, DomainEventStoppedDetail.Shutdown, events);
    }

    public ValueTask RebootDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0x3F, "testDomainReboot");
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            CheckActive(d);

            // A restart in place raises no event (libvirt 9.0's test driver, checked against libvirtd).
            ApplyAction(d, d.Def.OnReboot, events);
            return 0;
        });
        return Done();
    }

    public ValueTask ResetDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainReset");
        _state.Read(() =>
        {
            CheckActive(_state.FindDomain(domain));
            return 0;
        });
        return Done();
    }

    public ValueTask SuspendDomainAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var d = _state.FindDomain(domain);
            if (d.State is DomainState.Shutoff or DomainState.Paused)
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

    public ValueTask<bool> HasManagedSaveImageAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testDomainHasManagedSaveImage");
        return ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain) is null));
    }

    public ValueTask<int> GetSnapshotCountAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindDomain(domain) is null ? 1 : 0));

    public ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            // Only a running domain has a label; libvirt reports an empty, non-enforcing one otherwise.
            return _state.FindDomain(domain).IsActive ? ("libvirt-test", true) : (string.Empty, false);
        }));

    public ValueTask<IReadOnlyList<string>> GetDomainMessagesAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(_state.Read(() =>
        {
            _state.FindDomain(domain);
            return Array.Empty<string>();
        }));
}
