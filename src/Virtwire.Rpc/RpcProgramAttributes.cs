namespace Virtwire.Rpc;

/// <summary>
/// Declares an RPC program: a <c>partial interface</c> whose methods are its procedures. The source
/// generator emits the procedure table, the client stub and the server base class from it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class RpcProgramAttribute(uint program, uint version) : Attribute
{
    public uint Program { get; } = program;

    public uint Version { get; } = version;
}

/// <summary>Declares one procedure of an <see cref="RpcProgramAttribute"/> interface: its number and properties.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RpcProcedureAttribute(int number) : Attribute
{
    public int Number { get; } = number;

    /// <summary>libvirt's <c>@priority</c>: high-priority calls never queue behind slow ones.</summary>
    public RpcPriority Priority { get; set; }

    /// <summary>The procedure changes nothing, so read-only connections may call it.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>The procedure is answered before authentication completes.</summary>
    public bool BeforeAuth { get; set; }

    public RpcProcedureKind Kind { get; set; }

    public RpcStreamDirection Stream { get; set; }
}
