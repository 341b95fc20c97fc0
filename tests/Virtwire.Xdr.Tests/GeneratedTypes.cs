using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Xdr.Tests;

public enum Color
{
    Red = 1,
    Green = 2,
}

[XdrStruct]
public sealed partial record Inner
{
    public required string Name { get; init; }

    public int Id { get; init; }
}

[XdrStruct]
public partial struct Point
{
    public int X { get; set; }

    public int Y { get; set; }
}

/// <summary>One field of every kind the generator supports.</summary>
[XdrStruct]
public sealed partial record Everything
{
    public int I32 { get; init; }

    public uint U32 { get; init; }

    public long I64 { get; init; }

    public ulong U64 { get; init; }

    public double D { get; init; }

    public bool B { get; init; }

    public byte C { get; init; }

    public ushort S { get; init; }

    public Color E { get; init; }

    [XdrMax(64)]
    public required string Str { get; init; }

    public string? OptStr { get; init; }

    [XdrMax(64)]
    public required byte[] Opaque { get; init; }

    [XdrFixed(6)]
    public required byte[] FixedOpaque { get; init; }

    [XdrCharArray]
    [XdrMax(16)]
    public required byte[] Chars { get; init; }

    [XdrCharArray]
    [XdrFixed(4)]
    public required byte[] FixedChars { get; init; }

    public XdrUuid Uuid { get; init; }

    public required Inner Nested { get; init; }

    public Inner? OptNested { get; init; }

    public Point Pt { get; init; }

    public Point? OptPt { get; init; }

    [XdrMax(8)]
    public required int[] Ints { get; init; }

    [XdrMax(8)]
    public required string[] Strings { get; init; }

    [XdrMax(8)]
    public required Inner[] Inners { get; init; }

    [XdrFixed(2)]
    public required ulong[] Pair { get; init; }

    [XdrIgnore]
    public int NotOnTheWire { get; init; }
}

[XdrStruct]
public sealed partial record EchoArgs
{
    public int Value { get; init; }
}

[RpcProgram(0x1234, 1)]
public partial interface ITestProgram
{
    [RpcProcedure(1, Priority = RpcPriority.High, ReadOnly = true)]
    EchoArgs Echo(EchoArgs args);

    [RpcProcedure(2)]
    void Poke();

    [RpcProcedure(3, Kind = RpcProcedureKind.Message)]
    void Event(EchoArgs args);

    [RpcProcedure(4, BeforeAuth = true)]
    EchoArgs GetValue();
}
