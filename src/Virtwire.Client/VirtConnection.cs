using System.Runtime.CompilerServices;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>
/// A connection to a libvirt daemon (libvirtd or virtwired), or to the in-process test driver for
/// <c>test:///…</c>. Thread-safe: any number of calls may run at once on one connection.
/// </summary>
public sealed partial class VirtConnection : IAsyncDisposable
{
    private readonly RpcClientConnection _rpc;
    private readonly VirtConnectionOptions _options;
    private int _closed;

    private VirtConnection(VirtUri uri, RpcClientConnection rpc, VirtConnectionOptions options, bool readOnly)
    {
        Uri = uri;
        _rpc = rpc;
        _options = options;
        IsReadOnly = readOnly;
        Remote = new RemoteProgramClient(new VirtInvoker(rpc));
    }

    public VirtUri Uri { get; }

    public bool IsReadOnly { get; }

    /// <summary>Whether the connection to the daemon is still up.</summary>
    public bool IsAlive => _rpc.IsConnected;

    /// <summary>Cancelled when the connection is lost or closed.</summary>
    public CancellationToken Closed => _rpc.Closed;

    /// <summary>Every REMOTE procedure, typed, for what this class does not wrap.</summary>
    public RemoteProgramClient Remote { get; }

    internal RpcClientConnection Rpc => _rpc;

    /// <summary>Opens a connection the way libvirt's remote driver does: AUTH_LIST, keepalive probe, CONNECT_OPEN, feature probes.</summary>
    /// <exception cref="VirtException">The URI is invalid or the server refused.</exception>
    /// <exception cref="VirtConnectionException">The daemon cannot be reached.</exception>
    public static ValueTask<VirtConnection> OpenAsync(string uri, VirtConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenAsync(uri, readOnly: false, options, cancellationToken);

    /// <summary>Opens a read-only connection (VIR_CONNECT_RO): every state-changing call is refused by the server.</summary>
    public static ValueTask<VirtConnection> OpenReadOnlyAsync(string uri, VirtConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenAsync(uri, readOnly: true, options, cancellationToken);

    private static async ValueTask<VirtConnection> OpenAsync(string uri, bool readOnly, VirtConnectionOptions? options, CancellationToken cancellationToken)
    {
        options ??= VirtConnectionOptions.Default;
        var parsed = VirtUri.Parse(uri);
        var stream = await Transports.ConnectAsync(parsed, readOnly, cancellationToken).ConfigureAwait(false);
        var rpc = new RpcClientConnection(stream, new RpcClientOptions
        {
            DefaultTimeout = options.CallTimeout,
            LoggerFactory = options.LoggerFactory,
            InlineCompletions = options.InlineCompletions,
            CallerReadWait = options.CallerReadWait,
        });
        var connection = new VirtConnection(parsed, rpc, options, readOnly);
        try
        {
            await connection.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (VirtConnectionException ex) when (stream is SshTransport.ProcessStream ssh)
        {
            // ssh failed (refused, no key, unknown host, no nc on the far side): say what ssh said, as libvirt does.
            var said = await ssh.ErrorsAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            await rpc.DisposeAsync().ConfigureAwait(false);
            throw new VirtConnectionException("Cannot recv data: " + (said.Length > 0 ? said + ": Connection reset by peer" : ex.Message), ex);
        }
        catch
        {
            await rpc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask HandshakeAsync(CancellationToken cancellationToken)
    {
        // libvirt's client uses the first auth type the server lists (protocol-facts §5.1).
        var auth = await Remote.AuthListAsync(cancellationToken).ConfigureAwait(false);
        switch (auth.Types.Length == 0 ? AuthType.None : auth.Types[0])
        {
            case AuthType.None:
                break;
            case AuthType.Sasl:
                await AuthenticateSaslAsync(cancellationToken).ConfigureAwait(false);
                break;
            case var other:
                throw AuthError($"unsupported authentication type {other} (polkit needs a local libvirt client)");
        }

        var keepalive = _options.KeepaliveInterval > TimeSpan.Zero &&
            await SupportsAsync(DriverFeature.ProgramKeepalive, cancellationToken).ConfigureAwait(false);
        await Remote.ConnectOpenAsync(new ConnectOpenArgs { Name = Uri.OpenName, Flags = IsReadOnly ? (uint)ConnectOpenFlags.ReadOnly : 0 },
            cancellationToken).ConfigureAwait(false);
        await SupportsAsync(DriverFeature.RemoteEventCallback, cancellationToken).ConfigureAwait(false);
        if (keepalive)
        {
            _rpc.StartKeepalive(_options.KeepaliveInterval, _options.KeepaliveCount);
        }
    }

    private async ValueTask<bool> SupportsAsync(DriverFeature feature, CancellationToken cancellationToken)
    {
        try
        {
            return (await Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = (int)feature }, cancellationToken).ConfigureAwait(false)).Value == 1;
        }
        catch (VirtException ex) when (ex is not VirtConnectionException)
        {
            // libvirt treats any failure of a feature probe as "unsupported".
            return false;
        }
    }

    public async ValueTask<string> GetTypeAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetTypeAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>The hypervisor version, major × 1,000,000 + minor × 1,000 + micro.</summary>
    public async ValueTask<ulong> GetVersionAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetVersionAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<ulong> GetLibVersionAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetLibVersionAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<string> GetHostnameAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetHostnameAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>The URI the server reports for this connection (e.g. <c>test:///default</c>).</summary>
    public async ValueTask<string> GetServerUriAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetUriAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<string> GetCapabilitiesAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetCapabilitiesAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<string> GetSysinfoAsync(CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetSysinfoAsync(new FlagsArgs(), cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<int> GetMaxVcpusAsync(string? type = null, CancellationToken cancellationToken = default) =>
        (await Remote.ConnectGetMaxVcpusAsync(new ConnectGetMaxVcpusArgs { Type = type }, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<ulong> GetFreeMemoryAsync(CancellationToken cancellationToken = default) =>
        (await Remote.NodeGetFreeMemoryAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<VirtNodeInfo> GetNodeInfoAsync(CancellationToken cancellationToken = default)
    {
        var r = await Remote.NodeGetInfoAsync(cancellationToken).ConfigureAwait(false);
        return new VirtNodeInfo(CString(r.Model), r.Memory, r.Cpus, r.Mhz, r.Nodes, r.Sockets, r.Cores, r.Threads);
    }

    /// <summary>The host's security model and DOI (empty strings when there is none).</summary>
    public async ValueTask<(string Model, string Doi)> GetSecurityModelAsync(CancellationToken cancellationToken = default)
    {
        var r = await Remote.NodeGetSecurityModelAsync(cancellationToken).ConfigureAwait(false);
        return (CString(r.Model), CString(r.Doi));
    }

    internal static string CString(byte[] bytes)
    {
        var end = Array.IndexOf(bytes, (byte)0);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end);
    }

    /// <summary>Closes the connection (CONNECT_CLOSE, then the socket).</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            if (_rpc.IsConnected)
            {
                await Remote.ConnectCloseAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (VirtConnectionException)
        {
        }
        finally
        {
            await _rpc.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => CloseAsync();
}
