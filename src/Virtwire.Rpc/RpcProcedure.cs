using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>Which worker pool serves a call (libvirt's <c>@priority</c>).</summary>
public enum RpcPriority
{
    Low = 0,
    High = 1,
}

/// <summary>Whether a procedure is a call (with a reply) or a one-way message (event, keepalive).</summary>
public enum RpcProcedureKind
{
    Call = 0,
    Message = 1,
}

/// <summary>Whether the call opens a data stream, and in which direction data flows.</summary>
[Flags]
public enum RpcStreamDirection
{
    None = 0,

    /// <summary>Server sends data to the client (download, console output).</summary>
    Read = 1,

    /// <summary>Client sends data to the server (upload, console input).</summary>
    Write = 2,

    Both = Read | Write,
}

/// <summary>What the dispatcher and client need to know about one procedure. Emitted by the source generator.</summary>
public class RpcProcedureInfo
{
    public RpcProcedureInfo(uint program, uint version, int number, string name, RpcProcedureKind kind,
        RpcPriority priority, bool allowedReadOnly, bool allowedBeforeAuth, RpcStreamDirection stream)
    {
        Program = program;
        Version = version;
        Number = number;
        Name = name;
        Kind = kind;
        Priority = priority;
        AllowedReadOnly = allowedReadOnly;
        AllowedBeforeAuth = allowedBeforeAuth;
        Stream = stream;
    }

    public uint Program { get; }

    public uint Version { get; }

    public int Number { get; }

    /// <summary>libvirt's name without the program prefix, e.g. <c>DOMAIN_GET_INFO</c>.</summary>
    public string Name { get; }

    public RpcProcedureKind Kind { get; }

    public RpcPriority Priority { get; }

    /// <summary>Allowed on a read-only connection (it changes nothing).</summary>
    public bool AllowedReadOnly { get; }

    /// <summary>Answered before authentication completes (AUTH_LIST and the SASL/polkit steps).</summary>
    public bool AllowedBeforeAuth { get; }

    public RpcStreamDirection Stream { get; }

    public override string ToString() => $"{Name} ({Number})";
}

/// <summary>A procedure with its argument and result types: the client calls it, the server dispatches it.</summary>
public sealed class RpcProcedure<TArgs, TResult> : RpcProcedureInfo
    where TArgs : IXdrType<TArgs>
    where TResult : IXdrType<TResult>
{
    public RpcProcedure(uint program, uint version, int number, string name, RpcProcedureKind kind,
        RpcPriority priority, bool allowedReadOnly, bool allowedBeforeAuth, RpcStreamDirection stream)
        : base(program, version, number, name, kind, priority, allowedReadOnly, allowedBeforeAuth, stream)
    {
    }
}

/// <summary>Sends calls and awaits their replies; implemented by the client connection. Generated client stubs call this.</summary>
public interface IRpcInvoker
{
    /// <summary>Calls <paramref name="procedure"/> and returns its decoded result.</summary>
    /// <exception cref="RpcRemoteException">The server answered with an error.</exception>
    ValueTask<TResult> InvokeAsync<TArgs, TResult>(RpcProcedure<TArgs, TResult> procedure, TArgs args, CancellationToken cancellationToken)
        where TArgs : IXdrType<TArgs>
        where TResult : IXdrType<TResult>;
}

/// <summary>Thrown by the server-side base method of a procedure the server does not implement; becomes "unknown procedure: N".</summary>
public sealed class RpcProcedureNotImplementedException(int procedure)
    : NotSupportedException($"unknown procedure: {procedure}")
{
    public int Procedure { get; } = procedure;
}

/// <summary>
/// An error reply carried as an exception. The server throws it from a handler to send exactly
/// <see cref="Error"/>; the client RPC layer throws it when a reply has status ERROR.
/// </summary>
public class RpcRemoteException : Exception
{
    public RpcRemoteException(RemoteError error)
        : base(error.Message ?? $"error {(int)error.Code} from domain {(int)error.Domain}")
    {
        Error = error;
    }

    public RpcRemoteException(VirtErrorCode code, VirtErrorDomain domain, string message)
        : this(RemoteError.Create(code, domain, message))
    {
    }

    public RemoteError Error { get; }
}
