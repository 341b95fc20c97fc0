using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>
/// A domain on a connection. Name, UUID and id are those the server reported when this object was
/// obtained (as in libvirt: no round trip to read them); call <see cref="RefreshAsync"/> for a fresh id.
/// </summary>
public sealed class VirtDomain
{
    private readonly VirtConnection _connection;

    internal VirtDomain(VirtConnection connection, RemoteDomain handle)
    {
        _connection = connection;
        Handle = handle;
    }

    internal RemoteDomain Handle { get; }

    public string Name => Handle.Name;

    public XdrUuid Uuid => Handle.Uuid;

    /// <summary>The id while running, -1 when inactive.</summary>
    public int Id => Handle.Id;

    public VirtConnection Connection => _connection;

    private RemoteProgramClient R => _connection.Remote;

    private DomainArgs Args => new() { Dom = Handle };

    private DomainFlagsArgs Flags(uint flags) => new() { Dom = Handle, Flags = flags };

    /// <summary>Looks the domain up again by UUID (to learn its current id).</summary>
    public ValueTask<VirtDomain> RefreshAsync(CancellationToken cancellationToken = default) => _connection.LookupDomainByUuidAsync(Uuid, cancellationToken);

    public async ValueTask<VirtDomainInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var r = await R.DomainGetInfoAsync(Args, cancellationToken).ConfigureAwait(false);
        return new VirtDomainInfo((DomainState)r.State, r.MaxMem, r.Memory, r.NrVirtCpu, r.CpuTime);
    }

    /// <summary>Memory statistics of a running domain (libvirt's virDomainMemoryStats): tag and value, KiB for sizes.</summary>
    public async ValueTask<IReadOnlyList<(DomainMemoryStatTag Tag, ulong Value)>> GetMemoryStatsAsync(CancellationToken cancellationToken = default)
    {
        var r = await R.DomainMemoryStatsAsync(new DomainMemoryStatsArgs { Dom = Handle, MaxStats = 13 }, cancellationToken).ConfigureAwait(false);
        return [.. r.Stats.Select(s => ((DomainMemoryStatTag)s.Tag, s.Val))];
    }

    public async ValueTask<(DomainState State, int Reason)> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var r = await R.DomainGetStateAsync(Flags(0), cancellationToken).ConfigureAwait(false);
        return ((DomainState)r.State, r.Reason);
    }

    public async ValueTask<string> GetXmlDescAsync(DomainXmlFlags flags = DomainXmlFlags.None, CancellationToken cancellationToken = default) =>
        (await R.DomainGetXmlDescAsync(Flags((uint)flags), cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<string> GetOsTypeAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainGetOsTypeAsync(Args, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<ulong> GetMaxMemoryAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainGetMaxMemoryAsync(Args, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<int> GetVcpusAsync(DomainVcpuFlags flags = DomainVcpuFlags.Current, CancellationToken cancellationToken = default) =>
        (await R.DomainGetVcpusFlagsAsync(Flags((uint)flags), cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<bool> GetAutostartAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainGetAutostartAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask SetAutostartAsync(bool autostart, CancellationToken cancellationToken = default) =>
        await R.DomainSetAutostartAsync(new DomainSetAutostartArgs { Dom = Handle, Autostart = autostart ? 1 : 0 }, cancellationToken).ConfigureAwait(false);

    /// <summary>Sets the current memory in KiB.</summary>
    public async ValueTask SetMemoryAsync(ulong memoryKiB, CancellationToken cancellationToken = default) =>
        await R.DomainSetMemoryAsync(new DomainSetMemoryArgs { Dom = Handle, Memory = memoryKiB }, cancellationToken).ConfigureAwait(false);

    /// <summary>Sets the maximum memory in KiB.</summary>
    public async ValueTask SetMaxMemoryAsync(ulong memoryKiB, CancellationToken cancellationToken = default) =>
        await R.DomainSetMaxMemoryAsync(new DomainSetMemoryArgs { Dom = Handle, Memory = memoryKiB }, cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> IsActiveAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainIsActiveAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> IsPersistentAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainIsPersistentAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> HasManagedSaveImageAsync(CancellationToken cancellationToken = default) =>
        (await R.DomainHasManagedSaveImageAsync(Flags(0), cancellationToken).ConfigureAwait(false)).Value != 0;

    /// <summary>The security label and whether it is enforcing; an empty label when the domain has none.</summary>
    public async ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(CancellationToken cancellationToken = default)
    {
        var r = await R.DomainGetSecurityLabelAsync(Args, cancellationToken).ConfigureAwait(false);
        return (VirtConnection.CString(r.Label), r.Enforcing != 0);
    }

    /// <summary>Starts the (inactive, defined) domain; returns it with its new id.</summary>
    public async ValueTask<VirtDomain> StartAsync(DomainCreateFlags flags = DomainCreateFlags.None, CancellationToken cancellationToken = default)
    {
        if (flags == DomainCreateFlags.None)
        {
            // DOMAIN_CREATE returns nothing; libvirt's client looks the domain up again for its id.
            await R.DomainCreateAsync(Args, cancellationToken).ConfigureAwait(false);
            return await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        return _connection.Wrap((await R.DomainCreateWithFlagsAsync(Flags((uint)flags), cancellationToken).ConfigureAwait(false)).Dom);
    }

    public async ValueTask DestroyAsync(DomainDestroyFlags flags = DomainDestroyFlags.None, CancellationToken cancellationToken = default)
    {
        if (flags == DomainDestroyFlags.None)
        {
            await R.DomainDestroyAsync(Args, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await R.DomainDestroyFlagsAsync(Flags((uint)flags), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask ShutdownAsync(CancellationToken cancellationToken = default) =>
        await R.DomainShutdownAsync(Args, cancellationToken).ConfigureAwait(false);

    public async ValueTask RebootAsync(CancellationToken cancellationToken = default) =>
        await R.DomainRebootAsync(Flags(0), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens the domain's console (<paramref name="device"/> null: the first serial console; else e.g. "serial0")
    /// as a stream: what the guest prints is read from it, what is written goes to the guest.
    /// <see cref="DomainConsoleFlags.Force"/> takes the console from another session holding it.
    /// </summary>
    public async ValueTask<VirtStream> OpenConsoleAsync(string? device = null, DomainConsoleFlags flags = DomainConsoleFlags.None,
        CancellationToken cancellationToken = default)
    {
        var args = new DomainOpenConsoleArgs { Dom = Handle, DevName = device, Flags = (uint)flags };
        try
        {
            var stream = await _connection.Rpc.OpenStreamAsync(RemoteProgram.Program, RemoteProgram.Version, RemoteProgram.Numbers.DomainOpenConsole, args,
                cancellationToken).ConfigureAwait(false);
            return new VirtStream(stream);
        }
        catch (Virtwire.Rpc.RpcRemoteException ex)
        {
            throw VirtException.FromRemote(ex);
        }
        catch (Virtwire.Rpc.RpcConnectionException ex)
        {
            throw new VirtConnectionException(ex.Message, ex, ex.IsTransient);
        }
    }

    public async ValueTask SuspendAsync(CancellationToken cancellationToken = default) =>
        await R.DomainSuspendAsync(Args, cancellationToken).ConfigureAwait(false);

    public async ValueTask ResumeAsync(CancellationToken cancellationToken = default) =>
        await R.DomainResumeAsync(Args, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes the persistent definition (a running domain becomes transient).</summary>
    public async ValueTask UndefineAsync(DomainUndefineFlags flags = DomainUndefineFlags.None, CancellationToken cancellationToken = default)
    {
        try
        {
            await R.DomainUndefineFlagsAsync(Flags((uint)flags), cancellationToken).ConfigureAwait(false);
        }
        catch (VirtException ex) when (flags == DomainUndefineFlags.None && ex.Code == Virtwire.Rpc.VirtErrorCode.NoSupport)
        {
            // Older servers only have the flagless procedure.
            await R.DomainUndefineAsync(Args, cancellationToken).ConfigureAwait(false);
        }
    }

    public override string ToString() => $"{Name} ({Uuid}, id {Id})";
}
