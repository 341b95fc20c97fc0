using System.Globalization;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Qemu;

/// <summary>
/// One client's view of a <see cref="QemuHost"/>. Every call resolves the domain again by name and UUID, so a
/// stale reference fails with libvirt's "Domain not found" instead of acting on a different guest.
/// </summary>
internal sealed class QemuConnection(QemuHost host, string uri, bool readOnly) : IDriverConnection
{
    private const ListDomainsFlags AllListFlags = (ListDomainsFlags)0x3FFF;

    public string Uri { get; } = uri;

    public bool ReadOnly { get; } = readOnly;

    public IDisposable SubscribeEvents(Action<DriverEvent> handler) => host.Subscribe(handler);

    public ValueTask<string> GetTypeAsync(CancellationToken cancellationToken) => ValueTask.FromResult("QEMU");

    public ValueTask<ulong> GetVersionAsync(CancellationToken cancellationToken) => ValueTask.FromResult(QemuHostFacts.EmulatorVersion(host.Options.Emulator));

    public ValueTask<string> GetHostnameAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Environment.MachineName);

    public ValueTask<string> GetCapabilitiesAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(QemuHostFacts.Capabilities(host.Options, host.KvmUsable()));

    public ValueTask<int> GetMaxVcpusAsync(string? type, CancellationToken cancellationToken) => ValueTask.FromResult(255);

    public ValueTask<NodeInfo> GetNodeInfoAsync(CancellationToken cancellationToken) => ValueTask.FromResult(QemuHostFacts.NodeInfo());

    public ValueTask<ulong> GetFreeMemoryAsync(CancellationToken cancellationToken) => ValueTask.FromResult(QemuHostFacts.FreeMemoryBytes());

    public ValueTask<(string Model, string Doi)> GetSecurityModelAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult((string.Empty, string.Empty));

    public ValueTask<bool> SupportsFeatureAsync(int feature, CancellationToken cancellationToken) =>
        ValueTask.FromResult(feature is (int)DriverFeature.TypedParamString);

    // Domains: lookups and listing

    public ValueTask<IReadOnlyList<DomainRef>> ListDomainsAsync(ListDomainsFlags flags, CancellationToken cancellationToken)
    {
        if ((flags & ~AllListFlags) != 0)
        {
            throw Errors.InvalidArg($"unsupported flags (0x{(uint)(flags & ~AllListFlags):x}) in function qemuConnectListAllDomains");
        }

        return ValueTask.FromResult<IReadOnlyList<DomainRef>>([.. host.Snapshot().Where(d => Matches(d, flags)).Select(d => d.ToRef())]);
    }

    private static bool Matches(QemuDomain d, ListDomainsFlags flags) => DomainListFilter.Matches(flags, d.State, d.Active, d.Persistent, d.Autostart);

    public ValueTask<DomainRef> LookupDomainByIdAsync(int id, CancellationToken cancellationToken) => ValueTask.FromResult(host.FindById(id).ToRef());

    public ValueTask<DomainRef> LookupDomainByNameAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(host.FindByName(name).ToRef());

    public ValueTask<DomainRef> LookupDomainByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken) => ValueTask.FromResult(host.FindByUuid(uuid).ToRef());

    // Domains: facts

    public ValueTask<DomainInfo> GetDomainInfoAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        var current = d.Current;
        var runtime = d.Runtime;
        return ValueTask.FromResult(new DomainInfo(d.State, current.MemoryKiB,
            runtime is null ? current.MemoryKiB : current.CurrentMemoryKiB, current.Vcpus,
            runtime is null ? 0 : NativeFiles.CpuTimeNs(runtime.Pid)));
    }

    public ValueTask<(DomainState State, int Reason)> GetDomainStateAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        CheckFlags(flags, 0, "qemuDomainGetState");
        var d = host.Find(domain);
        return ValueTask.FromResult((d.State, d.Reason));
    }

    public ValueTask<string> GetDomainXmlAsync(DomainRef domain, DomainXmlFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 0xF, "qemuDomainGetXMLDesc");
        var d = host.Find(domain);
        var inactive = flags.HasFlag(DomainXmlFlags.Inactive) || !d.Active;
        return ValueTask.FromResult(inactive ? d.Definition.Format(null, inactive: true) : d.Current.Format(d.Runtime, inactive: false));
    }

    public ValueTask<string> GetDomainOsTypeAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        host.Find(domain);
        return ValueTask.FromResult("hvm");
    }

    public ValueTask<ulong> GetDomainMaxMemoryAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(host.Find(domain).Current.MemoryKiB);

    public ValueTask<int> GetDomainMaxVcpusAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        if (!d.Active)
        {
            throw Errors.NotRunning();
        }

        return ValueTask.FromResult(d.Current.Vcpus);
    }

    public ValueTask<int> GetDomainVcpusAsync(DomainRef domain, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 0xF, "qemuDomainGetVcpusFlags");
        var d = host.Find(domain);
        var config = flags.HasFlag(DomainVcpuFlags.Config) || (!flags.HasFlag(DomainVcpuFlags.Live) && !d.Active);
        if (flags.HasFlag(DomainVcpuFlags.Live) && !d.Active)
        {
            throw Errors.NotRunning();
        }

        return ValueTask.FromResult(config ? d.Definition.Vcpus : d.Current.Vcpus);
    }

    public ValueTask<bool> GetDomainAutostartAsync(DomainRef domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(host.Find(domain).Autostart);

    public ValueTask SetDomainAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken)
    {
        host.SetAutostart(host.Find(domain), autostart);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> IsDomainActiveAsync(DomainRef domain, CancellationToken cancellationToken) => ValueTask.FromResult(host.Find(domain).Active);

    public ValueTask<bool> IsDomainPersistentAsync(DomainRef domain, CancellationToken cancellationToken) => ValueTask.FromResult(host.Find(domain).Persistent);

    public ValueTask<bool> IsDomainUpdatedAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        return ValueTask.FromResult(d.Active && d.Persistent && d.Live is not null && !ReferenceEquals(d.Live, d.Definition) && d.Live != d.Definition);
    }

    public ValueTask<bool> HasManagedSaveImageAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        CheckFlags(flags, 0, "qemuDomainHasManagedSaveImage");
        host.Find(domain);
        return ValueTask.FromResult(false);
    }

    public ValueTask<int> GetSnapshotCountAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        host.Find(domain);
        return ValueTask.FromResult(0);
    }

    public ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(DomainRef domain, CancellationToken cancellationToken)
    {
        host.Find(domain);
        return ValueTask.FromResult((string.Empty, false));
    }

    // Domains: changes

    public async ValueTask SetDomainMemoryAsync(DomainRef domain, ulong memoryKiB, DomainModificationImpact flags, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        var (live, config) = Impact(d, flags);
        var target = live ? d.Current : d.Definition;
        if (memoryKiB > target.MemoryKiB)
        {
            throw Errors.InvalidArg("cannot set memory higher than max memory");
        }

        if (live)
        {
            if (!d.Current.Balloon)
            {
                throw Errors.Unsupported("Unable to change memory of active domain without the balloon device and guest OS balloon driver");
            }

            await host.SetBalloonAsync(d, memoryKiB, cancellationToken).ConfigureAwait(false);
            host.UpdateLive(d, d.Current with { CurrentMemoryKiB = memoryKiB });
        }

        if (config)
        {
            host.SaveDefinition(d, d.Definition with { CurrentMemoryKiB = memoryKiB });
        }
    }

    public ValueTask SetDomainMaxMemoryAsync(DomainRef domain, ulong memoryKiB, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        if (d.Active)
        {
            throw Errors.Unsupported("cannot resize the maximum memory on an active domain");
        }

        host.SaveDefinition(d, d.Definition with { MemoryKiB = memoryKiB, CurrentMemoryKiB = Math.Min(memoryKiB, d.Definition.CurrentMemoryKiB) });
        return ValueTask.CompletedTask;
    }

    public ValueTask SetDomainVcpusAsync(DomainRef domain, uint count, DomainVcpuFlags flags, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        if (count == 0)
        {
            throw Errors.InvalidArg("argument unsupported: vcpus count must be positive");
        }

        var (live, _) = Impact(d, (DomainModificationImpact)((uint)flags & 3));
        if (live)
        {
            throw DriverErrors.Create(VirtErrorCode.OperationUnsupported, VirtErrorDomain.Qemu,
                "Operation not supported: changing the vCPU count of a running QEMU domain", "Operation not supported: %s");
        }

        host.SaveDefinition(d, d.Definition with { Vcpus = (int)count });
        return ValueTask.CompletedTask;
    }

    public async ValueTask<DomainRef> DefineDomainAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        CheckFlags(flags, 1, "qemuDomainDefineXMLFlags");
        return (await host.DefineAsync(xml, cancellationToken).ConfigureAwait(false)).ToRef();
    }

    public async ValueTask UndefineDomainAsync(DomainRef domain, DomainUndefineFlags flags, CancellationToken cancellationToken) =>
        await host.UndefineAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);

    public async ValueTask<DomainRef> StartDomainAsync(DomainRef domain, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 0x1F, "qemuDomainCreateWithFlags");
        var d = host.Find(domain);
        await host.StartAsync(d, flags, cancellationToken).ConfigureAwait(false);
        return d.ToRef();
    }

    public async ValueTask<DomainRef> CreateDomainAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 0x1F, "qemuDomainCreateXML");
        return (await host.CreateAsync(xml, flags, cancellationToken).ConfigureAwait(false)).ToRef();
    }

    public async ValueTask DestroyDomainAsync(DomainRef domain, DomainDestroyFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 3, "qemuDomainDestroyFlags");
        await host.DestroyAsync(host.Find(domain), flags.HasFlag(DomainDestroyFlags.Graceful), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ShutdownDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        // 0 = hypervisor's choice, 1 = ACPI power button; the guest agent, initctl and signal methods are not offered.
        CheckFlags(flags, 1, "qemuDomainShutdownFlags");
        await host.ShutdownAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RebootDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        // 0 = hypervisor's choice, 1 = ACPI power button (the same here); the guest agent method is not offered.
        CheckFlags(flags, 1, "qemuDomainReboot");
        await host.RebootAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ResetDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken)
    {
        CheckFlags(flags, 0, "qemuDomainReset");
        await host.ResetAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SuspendDomainAsync(DomainRef domain, CancellationToken cancellationToken) =>
        await host.SuspendAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);

    public async ValueTask ResumeDomainAsync(DomainRef domain, CancellationToken cancellationToken) =>
        await host.ResumeAsync(host.Find(domain), cancellationToken).ConfigureAwait(false);

    // Metadata

    public ValueTask<string> GetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri, uint flags, CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        var (live, _) = Impact(d, (DomainModificationImpact)flags);
        var source = live ? d.Current : d.Definition;
        string? value = type switch
        {
            DomainMetadataType.Title => source.Title,
            DomainMetadataType.Description => source.Description,
            DomainMetadataType.Element => source.Metadata?.Elements().FirstOrDefault(e => e.Name.NamespaceName == uri)?.ToString(SaveOptions.DisableFormatting),
            _ => throw Errors.InvalidArg("unknown metadata type"),
        };
        return value is null
            ? throw DriverErrors.Create(VirtErrorCode.NoDomainMetadata, VirtErrorDomain.Domain, "metadata not found: Requested metadata element is not present",
                "metadata not found: %s", "Requested metadata element is not present")
            : ValueTask.FromResult(value);
    }

    public ValueTask SetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri, uint flags,
        CancellationToken cancellationToken)
    {
        var d = host.Find(domain);
        var (live, config) = Impact(d, (DomainModificationImpact)flags);
        QemuDomainDefinition Apply(QemuDomainDefinition definition) => type switch
        {
            DomainMetadataType.Title => definition with { Title = string.IsNullOrEmpty(metadata) ? null : metadata },
            DomainMetadataType.Description => definition with { Description = string.IsNullOrEmpty(metadata) ? null : metadata },
            DomainMetadataType.Element => definition with { Metadata = WithElement(definition.Metadata, metadata, key, uri) },
            _ => throw Errors.InvalidArg("unknown metadata type"),
        };

        if (live)
        {
            host.UpdateLive(d, Apply(d.Current));
        }

        if (config)
        {
            host.SaveDefinition(d, Apply(d.Definition));
        }

        host.RaiseMetadataChange(d, type, uri);
        return ValueTask.CompletedTask;
    }

    private static XElement? WithElement(XElement? metadata, string? xml, string? key, string? uri)
    {
        if (string.IsNullOrEmpty(uri))
        {
            throw Errors.InvalidArg("metadata URI must be given for element metadata");
        }

        var result = metadata is null ? new XElement("metadata") : new XElement(metadata);
        result.Elements().Where(e => e.Name.NamespaceName == uri).Remove();
        if (!string.IsNullOrEmpty(xml))
        {
            if (string.IsNullOrEmpty(key))
            {
                throw Errors.InvalidArg("metadata key must be given for element metadata");
            }

            XElement element;
            try
            {
                element = DriverXml.Parse(xml, LoadOptions.None);
            }
            catch (System.Xml.XmlException ex)
            {
                throw Errors.XmlError(ex.Message);
            }

            result.Add(new XElement(XName.Get(element.Name.LocalName, uri), new XAttribute(XNamespace.Xmlns + key, uri),
                element.Attributes().Where(a => !a.IsNamespaceDeclaration), element.Nodes()));
        }

        return result.HasElements ? result : null;
    }

    // Memory statistics: the balloon's size and the QEMU process's resident set, as libvirt reports without guest polling.

    public async ValueTask<IReadOnlyList<(DomainMemoryStatTag Tag, ulong Value)>> GetDomainMemoryStatsAsync(DomainRef domain, uint flags,
        CancellationToken cancellationToken)
    {
        CheckFlags(flags, 0, "qemuDomainMemoryStats");
        var d = host.Find(domain);
        var runtime = d.Runtime ?? throw Errors.NotRunning();
        var stats = new List<(DomainMemoryStatTag, ulong)>();
        var balloon = await host.QueryBalloonKiBAsync(d, cancellationToken).ConfigureAwait(false);
        stats.Add((DomainMemoryStatTag.ActualBalloon, balloon ?? d.Current.MemoryKiB));
        if (balloon is not null)
        {
            // The balloon's guest statistics; without a polling period QEMU has none yet, only their timestamp 0.
            stats.Add((DomainMemoryStatTag.LastUpdate, 0));
        }

        if (NativeFiles.ResidentKiB(runtime.Pid) is { } rss)
        {
            stats.Add((DomainMemoryStatTag.Rss, rss));
        }

        return stats;
    }

    // Console

    public ValueTask<Stream> OpenDomainConsoleAsync(DomainRef domain, string? device, DomainConsoleFlags flags, CancellationToken cancellationToken)
    {
        CheckFlags((uint)flags, 3, "qemuDomainOpenConsole");
        return ValueTask.FromResult<Stream>(host.OpenConsole(host.Find(domain), device, flags));
    }

    // Statistics

    public ValueTask<IReadOnlyList<DomainStatsRecord>> GetAllDomainStatsAsync(IReadOnlyList<DomainRef> domains, DomainStatsTypes stats,
        GetAllDomainStatsFlags flags, CancellationToken cancellationToken)
    {
        const DomainStatsTypes supported = DomainStatsTypes.State | DomainStatsTypes.CpuTotal | DomainStatsTypes.Balloon | DomainStatsTypes.Vcpu;
        var unsupported = stats & ~supported;
        if (unsupported != 0 && flags.HasFlag(GetAllDomainStatsFlags.EnforceStats))
        {
            var detail = $"Stats types bits 0x{(uint)unsupported:x} are not supported by this daemon";
            throw DriverErrors.Create(VirtErrorCode.ArgumentUnsupported, VirtErrorDomain.Qemu, "argument unsupported: " + detail, "argument unsupported: %s", detail);
        }

        var all = stats == DomainStatsTypes.None;
        var filter = (ListDomainsFlags)((uint)flags & 0xFF);
        var selected = domains.Count > 0 ? [.. domains.Select(host.Find)] : host.Snapshot().Where(d => Matches(d, filter)).ToList();
        var records = new List<DomainStatsRecord>(selected.Count);
        foreach (var d in selected)
        {
            var parameters = new List<DriverTypedParameter>();
            if (all || stats.HasFlag(DomainStatsTypes.State))
            {
                parameters.Add(new("state.state", (int)d.State));
                parameters.Add(new("state.reason", d.Reason));
            }

            var runtime = d.Runtime;
            if (runtime is not null && (all || stats.HasFlag(DomainStatsTypes.CpuTotal)))
            {
                parameters.Add(new("cpu.time", NativeFiles.CpuTimeNs(runtime.Pid)));
            }

            if (all || stats.HasFlag(DomainStatsTypes.Balloon))
            {
                parameters.Add(new("balloon.current", d.Active ? d.Current.CurrentMemoryKiB : d.Definition.CurrentMemoryKiB));
                parameters.Add(new("balloon.maximum", d.Current.MemoryKiB));
            }

            if (all || stats.HasFlag(DomainStatsTypes.Vcpu))
            {
                parameters.Add(new("vcpu.current", (uint)d.Current.Vcpus));
                parameters.Add(new("vcpu.maximum", (uint)d.Current.Vcpus));
            }

            records.Add(new DomainStatsRecord(d.ToRef(), parameters));
        }

        return ValueTask.FromResult<IReadOnlyList<DomainStatsRecord>>(records);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // Helpers

    /// <summary>libvirt's VIR_DOMAIN_AFFECT_* resolution: current means live when running, config otherwise.</summary>
    private static (bool Live, bool Config) Impact(QemuDomain d, DomainModificationImpact flags)
    {
        var live = flags.HasFlag(DomainModificationImpact.Live);
        var config = flags.HasFlag(DomainModificationImpact.Config);
        if (!live && !config)
        {
            live = d.Active;
            config = !d.Active;
        }

        if (live && !d.Active)
        {
            throw Errors.NotRunning();
        }

        if (config && !d.Persistent)
        {
            throw Errors.Invalid("cannot change persistent config of a transient domain");
        }

        return (live, config);
    }

    private static void CheckFlags(uint flags, uint allowed, string function)
    {
        if ((flags & ~allowed) != 0)
        {
            throw Errors.InvalidArg($"unsupported flags (0x{flags & ~allowed:x}) in function {function}");
        }
    }
}

/// <summary>Facts about the host and the emulator, read from <c>/proc</c> and <c>qemu --version</c>.</summary>
internal static class QemuHostFacts
{
    private static readonly Dictionary<string, ulong> Versions = new(StringComparer.Ordinal);

    /// <summary>libvirt's version number of the emulator: major * 1,000,000 + minor * 1,000 + micro.</summary>
    public static ulong EmulatorVersion(string emulator)
    {
        lock (Versions)
        {
            if (Versions.TryGetValue(emulator, out var cached))
            {
                return cached;
            }
        }

        ulong version = 0;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(emulator, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is not null)
            {
                var text = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                version = ParseVersion(text);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No emulator: version 0, as the capabilities will say.
        }

        lock (Versions)
        {
            Versions[emulator] = version;
        }

        return version;
    }

    internal static ulong ParseVersion(string text)
    {
        const string marker = "version ";
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var token = text[(at + marker.Length)..].Split(' ', '\n', '(')[0];
        var parts = token.Split('.');
        ulong result = 0;
        ulong scale = 1_000_000;
        foreach (var part in parts.Take(3))
        {
            if (!ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                break;
            }

            result += n * scale;
            scale /= 1000;
        }

        return result;
    }

    public static NodeInfo NodeInfo()
    {
        var cpus = Environment.ProcessorCount;
        var mhz = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                {
                    mhz = (int)double.Parse(line[(line.IndexOf(':') + 1)..], CultureInfo.InvariantCulture);
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Unknown frequency stays 0.
        }

        return new NodeInfo("x86_64", MemInfo("MemTotal:"), cpus, mhz, 1, 1, cpus, 1);
    }

    public static ulong FreeMemoryBytes() => MemInfo("MemAvailable:") * 1024;

    private static ulong MemInfo(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return ulong.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // Unknown: 0.
        }

        return 0;
    }

    /// <summary>The capabilities document: the host and one x86_64 guest, with kvm when <c>/dev/kvm</c> is usable.</summary>
    public static string Capabilities(QemuDriverOptions options, bool kvm)
    {
        var guestDomains = new List<XElement> { new("domain", new XAttribute("type", "qemu")) };
        if (kvm)
        {
            guestDomains.Add(new XElement("domain", new XAttribute("type", "kvm")));
        }

        var document = new XElement("capabilities",
            new XElement("host",
                new XElement("cpu", new XElement("arch", "x86_64")),
                new XElement("topology",
                    new XElement("cells", new XAttribute("num", 1),
                        new XElement("cell", new XAttribute("id", 0),
                            new XElement("memory", new XAttribute("unit", "KiB"), MemInfo("MemTotal:")),
                            new XElement("cpus", new XAttribute("num", Environment.ProcessorCount),
                                Enumerable.Range(0, Environment.ProcessorCount).Select(i => new XElement("cpu",
                                    new XAttribute("id", i), new XAttribute("socket_id", 0), new XAttribute("core_id", i),
                                    new XAttribute("siblings", i)))))))),
            new XElement("guest",
                new XElement("os_type", "hvm"),
                new XElement("arch", new XAttribute("name", "x86_64"),
                    new XElement("wordsize", 64),
                    new XElement("emulator", options.Emulator),
                    new XElement("machine", "pc"),
                    new XElement("machine", "q35"),
                    guestDomains),
                new XElement("features", new XElement("acpi", new XAttribute("default", "on"), new XAttribute("toggle", "yes")))));
        return document.ToString() + "\n";
    }
}
