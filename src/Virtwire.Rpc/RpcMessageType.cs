namespace Virtwire.Rpc;

/// <summary>The <c>type</c> field of a message header (protocol-facts §1.3).</summary>
public enum RpcMessageType
{
    /// <summary>Client to server; payload is the procedure's arguments.</summary>
    Call = 0,

    /// <summary>Server to client; payload is the result, or <c>remote_error</c> when status is Error.</summary>
    Reply = 1,

    /// <summary>Either way, no reply: events and keepalive.</summary>
    Message = 2,

    /// <summary>Stream data (Continue), end (Ok) or abort (Error).</summary>
    Stream = 3,

    /// <summary>A call followed by file descriptors (unix sockets only).</summary>
    CallWithFds = 4,

    /// <summary>A reply followed by file descriptors.</summary>
    ReplyWithFds = 5,

    /// <summary>A hole in a sparse stream.</summary>
    StreamHole = 6,
}

/// <summary>The <c>status</c> field of a message header (protocol-facts §1.4).</summary>
public enum RpcStatus
{
    Ok = 0,
    Error = 1,
    Continue = 2,
}
