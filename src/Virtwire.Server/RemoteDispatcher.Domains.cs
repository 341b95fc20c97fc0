using Virtwire.Protocol;
using Virtwire.Drivers;
using Virtwire.Rpc;

namespace Virtwire.Server;

internal sealed partial class RemoteDispatcher
{
    private static DomainRet Dom(Virtwire.Drivers.DomainRef domain) => new() { Dom = domain.ToWire() };

    public override async ValueTask<DomainListRet> ConnectListAllDomainsAsync(ClientSession context, ListAllArgs args, CancellationToken cancellationToken)
    {
        var domains = await D(context).ListDomainsAsync((ListDomainsFlags)args.Flags, cancellationToken).ConfigureAwait(false);
        return new DomainListRet
        {
            Domains = args.NeedResults != 0 ? domains.Select(d => d.ToWire()).ToArray() : [],
            Count = (uint)domains.Count,
        };
    }

    public override async ValueTask<IntRet> ConnectNumOfDomainsAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListDomainsAsync(ListDomainsFlags.Active, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<IntRet> ConnectNumOfDefinedDomainsAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListDomainsAsync(ListDomainsFlags.Inactive, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<DomainIdsRet> ConnectListDomainsAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken)
    {
        var domains = await D(context).ListDomainsAsync(ListDomainsFlags.Active, cancellationToken).ConfigureAwait(false);
        return new DomainIdsRet { Ids = domains.Take(Math.Max(0, args.Value)).Select(d => d.Id).ToArray() };
    }

    public override async ValueTask<NamesRet> ConnectListDefinedDomainsAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken)
    {
        var domains = await D(context).ListDomainsAsync(ListDomainsFlags.Inactive, cancellationToken).ConfigureAwait(false);
        return new NamesRet { Names = domains.Take(Math.Max(0, args.Value)).Select(d => d.Name).ToArray() };
    }

    public override async ValueTask<DomainRet> DomainLookupByIdAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).LookupDomainByIdAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainRet> DomainLookupByNameAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).LookupDomainByNameAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainRet> DomainLookupByUuidAsync(ClientSession context, UuidArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).LookupDomainByUuidAsync(args.Uuid, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainGetInfoRet> DomainGetInfoAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken)
    {
        var info = await D(context).GetDomainInfoAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false);
        return new DomainGetInfoRet
        {
            State = (byte)info.State,
            MaxMem = info.MaxMemoryKiB,
            Memory = info.MemoryKiB,
            NrVirtCpu = (ushort)info.VirtCpus,
            CpuTime = info.CpuTimeNs,
        };
    }

    public override async ValueTask<DomainGetStateRet> DomainGetStateAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken)
    {
        var (state, reason) = await D(context).GetDomainStateAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);
        return new DomainGetStateRet { State = (int)state, Reason = reason };
    }

    public override async ValueTask<StringRet> DomainGetXmlDescAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken)
    {
        var flags = (DomainXmlFlags)args.Flags;
        if (context.ReadOnly && (flags & (DomainXmlFlags.Secure | DomainXmlFlags.Migratable)) != 0)
        {
            throw new Virtwire.Rpc.RpcRemoteException(Virtwire.Rpc.RemoteError.Create(Virtwire.Rpc.VirtErrorCode.OperationDenied,
                Virtwire.Rpc.VirtErrorDomain.Domain, "operation forbidden: virDomainGetXMLDesc with secure flag", "operation forbidden: %s",
                "virDomainGetXMLDesc with secure flag"));
        }

        return Str(await D(context).GetDomainXmlAsync(args.Dom.ToDriver(), flags, cancellationToken).ConfigureAwait(false));
    }

    public override async ValueTask<StringRet> DomainGetOsTypeAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetDomainOsTypeAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<ULongRet> DomainGetMaxMemoryAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        new() { Value = await D(context).GetDomainMaxMemoryAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false) };

    public override async ValueTask<IntRet> DomainGetMaxVcpusAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetDomainMaxVcpusAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> DomainGetVcpusFlagsAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetDomainVcpusAsync(args.Dom.ToDriver(), (DomainVcpuFlags)args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask DomainSetVcpusAsync(ClientSession context, DomainSetVcpusArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainVcpusAsync(args.Dom.ToDriver(), args.NVcpus, DomainVcpuFlags.Live, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainSetVcpusFlagsAsync(ClientSession context, DomainSetVcpusFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainVcpusAsync(args.Dom.ToDriver(), args.NVcpus, (DomainVcpuFlags)args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<IntRet> DomainGetAutostartAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetDomainAutostartAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask DomainSetAutostartAsync(ClientSession context, DomainSetAutostartArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainAutostartAsync(args.Dom.ToDriver(), args.Autostart != 0, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainSetMemoryAsync(ClientSession context, DomainSetMemoryArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainMemoryAsync(args.Dom.ToDriver(), args.Memory, DomainModificationImpact.Live, cancellationToken).ConfigureAwait(false);

    // The driver takes the flags as they are: live/config impact plus VIR_DOMAIN_MEM_MAXIMUM (4), which virsh setmaxmem uses.
    public override async ValueTask DomainSetMemoryFlagsAsync(ClientSession context, DomainSetMemoryFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainMemoryAsync(args.Dom.ToDriver(), args.Memory, (DomainModificationImpact)args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainSetMaxMemoryAsync(ClientSession context, DomainSetMemoryArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainMaxMemoryAsync(args.Dom.ToDriver(), args.Memory, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<DomainRet> DomainDefineXmlAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).DefineDomainAsync(args.Value, 0, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainRet> DomainDefineXmlFlagsAsync(ClientSession context, StringFlagsArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).DefineDomainAsync(args.Value, args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask DomainUndefineAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).UndefineDomainAsync(args.Dom.ToDriver(), DomainUndefineFlags.None, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainUndefineFlagsAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).UndefineDomainAsync(args.Dom.ToDriver(), (DomainUndefineFlags)args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainCreateAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).StartDomainAsync(args.Dom.ToDriver(), DomainCreateFlags.None, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<DomainRet> DomainCreateWithFlagsAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).StartDomainAsync(args.Dom.ToDriver(), (DomainCreateFlags)args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainRet> DomainCreateXmlAsync(ClientSession context, StringFlagsArgs args, CancellationToken cancellationToken) =>
        Dom(await D(context).CreateDomainAsync(args.Value, (DomainCreateFlags)args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask DomainDestroyAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).DestroyDomainAsync(args.Dom.ToDriver(), DomainDestroyFlags.None, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainDestroyFlagsAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).DestroyDomainAsync(args.Dom.ToDriver(), (DomainDestroyFlags)args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainShutdownAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).ShutdownDomainAsync(args.Dom.ToDriver(), 0, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainShutdownFlagsAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).ShutdownDomainAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainRebootAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).RebootDomainAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainResetAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).ResetDomainAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainSuspendAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).SuspendDomainAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask DomainResumeAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        await D(context).ResumeDomainAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<IntRet> DomainIsActiveAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsDomainActiveAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> DomainIsPersistentAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsDomainPersistentAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> DomainIsUpdatedAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsDomainUpdatedAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> DomainHasManagedSaveImageAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).HasManagedSaveImageAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> DomainSnapshotNumAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetSnapshotCountAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<DomainMemoryStatsRet> DomainMemoryStatsAsync(ClientSession context, DomainMemoryStatsArgs args, CancellationToken cancellationToken)
    {
        if (args.MaxStats > RemoteLimits.DomainMemoryStats)
        {
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc,
                "internal error: maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX", "internal error: %s");
        }

        var stats = await D(context).GetDomainMemoryStatsAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);
        return new DomainMemoryStatsRet
        {
            Stats = [.. stats.Take((int)args.MaxStats).Select(s => new RemoteDomainMemoryStat { Tag = (int)s.Tag, Val = s.Value })],
        };
    }

    public override async ValueTask<DomainGetSecurityLabelRet> DomainGetSecurityLabelAsync(ClientSession context, DomainArgs args, CancellationToken cancellationToken)
    {
        var (label, enforcing) = await D(context).GetSecurityLabelAsync(args.Dom.ToDriver(), cancellationToken).ConfigureAwait(false);
        return new DomainGetSecurityLabelRet { Label = Mapping.CString(label), Enforcing = enforcing ? 1 : 0 };
    }

    public override async ValueTask<StringRet> DomainGetMetadataAsync(ClientSession context, DomainGetMetadataArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetDomainMetadataAsync(args.Dom.ToDriver(), (DomainMetadataType)args.Type, args.Uri, args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask DomainSetMetadataAsync(ClientSession context, DomainSetMetadataArgs args, CancellationToken cancellationToken) =>
        await D(context).SetDomainMetadataAsync(args.Dom.ToDriver(), (DomainMetadataType)args.Type, args.Metadata, args.Key, args.Uri, args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<DomainGetMessagesRet> DomainGetMessagesAsync(ClientSession context, DomainFlagsArgs args, CancellationToken cancellationToken) =>
        new() { Msgs = [.. await D(context).GetDomainMessagesAsync(args.Dom.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false)] };

    public override async ValueTask<ConnectGetAllDomainStatsRet> ConnectGetAllDomainStatsAsync(ClientSession context, ConnectGetAllDomainStatsArgs args, CancellationToken cancellationToken)
    {
        var records = await D(context).GetAllDomainStatsAsync(args.Doms.Select(d => d.ToDriver()).ToArray(), (DomainStatsTypes)args.Stats,
            (GetAllDomainStatsFlags)args.Flags, cancellationToken).ConfigureAwait(false);
        return new ConnectGetAllDomainStatsRet
        {
            RetStats = records.Select(r => new RemoteDomainStatsRecord { Dom = r.Domain.ToWire(), Params = r.Parameters.Select(p => p.ToWire()).ToArray() }).ToArray(),
        };
    }
}
