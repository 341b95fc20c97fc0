using Virtwire.Rpc;

namespace Virtwire.Client;

/// <summary>
/// A libvirt error, exactly as it crossed the wire: code, domain, message, level and the extra fields.
/// </summary>
public class VirtException : Exception
{
    public VirtException(RemoteError error, Exception? innerException = null)
        : base(error.Message ?? error.Code.ToString(), innerException)
    {
        Error = error;
    }

    /// <summary>The whole error as the server sent it.</summary>
    public RemoteError Error { get; }

    public VirtErrorCode Code => Error.Code;

    public VirtErrorDomain Domain => Error.Domain;

    public VirtErrorLevel Level => Error.Level;

    internal static VirtException InvalidUri(string uri, string detail) =>
        new(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Remote, $"invalid argument: {detail} in URI '{uri}'", "invalid argument: %s", detail));

    /// <summary>
    /// libvirt's client turns an RPC-layer "unknown procedure" into NO_SUPPORT so callers can fall back
    /// (protocol-facts §4.4); we do the same.
    /// </summary>
    internal static VirtException FromRemote(RpcRemoteException ex)
    {
        var error = ex.Error;
        if (error is { Code: VirtErrorCode.Rpc, Domain: VirtErrorDomain.Rpc or VirtErrorDomain.Remote, Level: VirtErrorLevel.Error } &&
            error.Message?.StartsWith("unknown procedure", StringComparison.Ordinal) == true)
        {
            error = error with { Code = VirtErrorCode.NoSupport };
        }

        return new VirtException(error, ex);
    }
}

/// <summary>The connection to the daemon is lost or cannot be made. <see cref="IsTransient"/> says whether retrying may help.</summary>
public sealed class VirtConnectionException : VirtException
{
    public VirtConnectionException(string message, Exception? innerException = null, bool isTransient = true)
        : base(RemoteError.Create(VirtErrorCode.SystemError, VirtErrorDomain.Rpc, message), innerException)
    {
        IsTransient = isTransient;
    }

    public bool IsTransient { get; }
}

/// <summary>A call got no reply within the connection's timeout.</summary>
public sealed class VirtTimeoutException(string message, Exception? innerException = null) : TimeoutException(message, innerException);
