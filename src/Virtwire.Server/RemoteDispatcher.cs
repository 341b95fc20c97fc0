using Virtwire.Drivers;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Server;

/// <summary>The REMOTE program's procedures mapped onto the driver contract. Connection-level procedures live here.</summary>
internal sealed partial class RemoteDispatcher(RemoteServer server) : RemoteProgramServerBase<ClientSession>
{
    private static readonly IntRet One = new() { Value = 1 };
    private static readonly IntRet Zero = new() { Value = 0 };

    private static IntRet Int(bool value) => value ? One : Zero;

    private static IntRet Int(int value) => new() { Value = value };

    private static StringRet Str(string value) => new() { Value = value };

    private static IDriverConnection D(ClientSession session) => session.Driver!;

    public override ValueTask<AuthListRet> AuthListAsync(ClientSession context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(server.AuthList(context));

    public override ValueTask<StringRet> AuthSaslInitAsync(ClientSession context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(server.SaslInit(context));

    public override ValueTask<AuthSaslStepRet> AuthSaslStartAsync(ClientSession context, AuthSaslStartArgs args, CancellationToken cancellationToken) =>
        ValueTask.FromResult(server.SaslStart(context, args));

    public override ValueTask<AuthSaslStepRet> AuthSaslStepAsync(ClientSession context, AuthSaslStepArgs args, CancellationToken cancellationToken) =>
        ValueTask.FromResult(server.SaslStep(context, args));

    public override async ValueTask<IntRet> ConnectSupportsFeatureAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken)
    {
        switch ((DriverFeature)args.Value)
        {
            case DriverFeature.ProgramKeepalive:
                // Answering this starts server pings for this client (protocol-facts §2.1).
                context.Connection.StartKeepalive();
                return One;
            case DriverFeature.RemoteEventCallback:
            case DriverFeature.RemoteCloseCallback:
            case DriverFeature.NetworkUpdateHasCorrectOrder:
                return One;
            case DriverFeature.FdPassing:
                return Zero;
        }

        return context.Driver is null ? Zero : Int(await D(context).SupportsFeatureAsync(args.Value, cancellationToken).ConfigureAwait(false));
    }

    public override async ValueTask ConnectOpenAsync(ClientSession context, ConnectOpenArgs args, CancellationToken cancellationToken)
    {
        if (context.Driver is not null)
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc,
                "internal error: connection already open", "internal error: %s", "connection already open"));
        }

        var name = string.IsNullOrEmpty(args.Name) ? server.DefaultUri : args.Name;
        if (!Uri.TryCreate(name, UriKind.Absolute, out var uri) || !server.Drivers.TryGetValue(uri.Scheme, out var driver))
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.NoConnect, VirtErrorDomain.None,
                "no connection driver available for " + name, "no connection driver available for %s", name));
        }

        if (((ConnectOpenFlags)args.Flags).HasFlag(ConnectOpenFlags.ReadOnly))
        {
            context.ReadOnly = true;
        }

        var connection = await driver.OpenAsync(uri, context.ReadOnly, cancellationToken).ConfigureAwait(false);
        lock (context.Gate)
        {
            context.Driver = connection;
            context.EventSubscription = connection.SubscribeEvents(e => Events.Deliver(context, e));
        }

        server.Logger.LogOpened(context.Connection.Peer, connection.Uri);
    }

    public override async ValueTask ConnectCloseAsync(ClientSession context, CancellationToken cancellationToken) =>
        await CloseDriverAsync(context).ConfigureAwait(false);

    internal static async ValueTask CloseDriverAsync(ClientSession session)
    {
        IDriverConnection? driver;
        lock (session.Gate)
        {
            driver = session.Driver;
            session.Driver = null;
            session.EventSubscription?.Dispose();
            session.EventSubscription = null;
            session.Callbacks.Clear();
            session.LegacyEventIds.Clear();
            session.LegacyLifecycle = false;
        }

        if (driver is not null)
        {
            await driver.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override async ValueTask<StringRet> ConnectGetTypeAsync(ClientSession context, CancellationToken cancellationToken) =>
        Str(await D(context).GetTypeAsync(cancellationToken).ConfigureAwait(false));

    public override async ValueTask<ULongRet> ConnectGetVersionAsync(ClientSession context, CancellationToken cancellationToken) =>
        new() { Value = await D(context).GetVersionAsync(cancellationToken).ConfigureAwait(false) };

    public override ValueTask<ULongRet> ConnectGetLibVersionAsync(ClientSession context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ULongRet { Value = server.LibraryVersion });

    public override async ValueTask<StringRet> ConnectGetHostnameAsync(ClientSession context, CancellationToken cancellationToken) =>
        Str(await D(context).GetHostnameAsync(cancellationToken).ConfigureAwait(false));

    public override ValueTask<StringRet> ConnectGetUriAsync(ClientSession context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Str(D(context).Uri));

    public override async ValueTask<StringRet> ConnectGetCapabilitiesAsync(ClientSession context, CancellationToken cancellationToken) =>
        Str(await D(context).GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StringRet> ConnectGetSysinfoAsync(ClientSession context, FlagsArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetSysinfoAsync(args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> ConnectGetMaxVcpusAsync(ClientSession context, ConnectGetMaxVcpusArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetMaxVcpusAsync(args.Type, cancellationToken).ConfigureAwait(false));

    public override ValueTask<IntRet> ConnectIsSecureAsync(ClientSession context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Int(context.Connection.Peer.StartsWith("unix", StringComparison.Ordinal)));

    public override async ValueTask<NodeGetInfoRet> NodeGetInfoAsync(ClientSession context, CancellationToken cancellationToken)
    {
        var info = await D(context).GetNodeInfoAsync(cancellationToken).ConfigureAwait(false);
        return new NodeGetInfoRet
        {
            Model = Mapping.FixedCString(info.Model, 32),
            Memory = info.MemoryKiB,
            Cpus = info.Cpus,
            Mhz = info.Mhz,
            Nodes = info.Nodes,
            Sockets = info.Sockets,
            Cores = info.Cores,
            Threads = info.Threads,
        };
    }

    public override async ValueTask<ULongRet> NodeGetFreeMemoryAsync(ClientSession context, CancellationToken cancellationToken) =>
        new() { Value = await D(context).GetFreeMemoryAsync(cancellationToken).ConfigureAwait(false) };

    public override async ValueTask<NodeGetCellsFreeMemoryRet> NodeGetCellsFreeMemoryAsync(ClientSession context, NodeGetCellsFreeMemoryArgs args, CancellationToken cancellationToken) =>
        new() { Cells = [.. await D(context).GetCellsFreeMemoryAsync(args.StartCell, args.MaxCells, cancellationToken).ConfigureAwait(false)] };

    public override async ValueTask<NodeGetSecurityModelRet> NodeGetSecurityModelAsync(ClientSession context, CancellationToken cancellationToken)
    {
        var (model, doi) = await D(context).GetSecurityModelAsync(cancellationToken).ConfigureAwait(false);
        return new NodeGetSecurityModelRet { Model = Mapping.CString(model), Doi = Mapping.CString(doi) };
    }

    public override ValueTask ConnectRegisterCloseCallbackAsync(ClientSession context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override ValueTask ConnectUnregisterCloseCallbackAsync(ClientSession context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

internal static partial class ServerLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 3010, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Client {Peer} opened {Uri}")]
    public static partial void LogOpened(this Microsoft.Extensions.Logging.ILogger logger, string peer, string uri);
}
