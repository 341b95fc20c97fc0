using CsCheck;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Xdr.Tests;

public sealed class GeneratorTests
{
    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 0, 20];
    private static readonly Gen<byte[]> Bytes = Gen.Byte.Array[0, 16];
    private static readonly Gen<Inner> Inners = Gen.Select(Text, Gen.Int, (n, i) => new Inner { Name = n, Id = i });
    private static readonly Gen<Point> Points = Gen.Select(Gen.Int, Gen.Int, (x, y) => new Point { X = x, Y = y });

    private static readonly Gen<Everything> Everythings =
        from scalars in Gen.Select(Gen.Int, Gen.UInt, Gen.Long, Gen.ULong, Gen.Double, Gen.Bool, Gen.Byte, Gen.UShort)
        from e in Gen.OneOfConst(Color.Red, Color.Green)
        from str in Text
        from opt in Text.Null()
        from opaque in Bytes
        from fixedOpaque in Gen.Byte.Array[6]
        from chars in Bytes
        from fixedChars in Gen.Byte.Array[4]
        from uuid in Gen.Byte.Array[16]
        from nested in Inners
        from optNested in Inners.Null()
        from pt in Points
        from optPt in Gen.Bool
        from ints in Gen.Int.Array[0, 8]
        from strings in Text.Array[0, 8]
        from inners in Inners.Array[0, 8]
        from pair in Gen.ULong.Array[2]
        select new Everything
        {
            I32 = scalars.Item1, U32 = scalars.Item2, I64 = scalars.Item3, U64 = scalars.Item4, D = scalars.Item5,
            B = scalars.Item6, C = scalars.Item7, S = scalars.Item8, E = e, Str = str, OptStr = opt, Opaque = opaque,
            FixedOpaque = fixedOpaque, Chars = chars, FixedChars = fixedChars, Uuid = new XdrUuid(uuid), Nested = nested,
            OptNested = optNested, Pt = pt, OptPt = optPt ? pt : null, Ints = ints, Strings = strings, Inners = inners,
            Pair = pair,
        };

    [Fact]
    public void Everything_RoundTripsByteForByte_AndSizeIsExact() =>
        Everythings.Sample(value =>
        {
            var bytes = XdrCodec.Encode(value);
            Assert.Equal(value.GetSize(), bytes.Length);
            Assert.Equal(0, bytes.Length % 4);
            var decoded = XdrCodec.Decode<Everything>(bytes);
            Assert.Equal(bytes, XdrCodec.Encode(decoded));
            Assert.Equal(value.OptStr, decoded.OptStr);
            Assert.Equal(value.Inners, decoded.Inners);
        }, iter: 2000);

    [Fact]
    public void Everything_AnyTruncation_IsAFormatError() =>
        Everythings.Sample(value =>
        {
            var bytes = XdrCodec.Encode(value);
            for (var length = 0; length < bytes.Length; length += 3)
            {
                Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Everything>(bytes.AsSpan(0, length)));
            }
        }, iter: 100);

    [Fact]
    public void FixedLengthFields_RejectWrongLengthsOnWrite()
    {
        var value = Everythings.Single() with { FixedOpaque = new byte[5] };
        Assert.Throws<InvalidOperationException>(() => XdrCodec.Encode(value));
    }

    [Fact]
    public void Program_TableCarriesDeclaredProperties()
    {
        Assert.Equal(0x1234u, TestProgram.Program);
        Assert.Equal(4, TestProgram.All.Count);
        var echo = TestProgram.Find(TestProgram.Numbers.Echo)!;
        Assert.Equal("ECHO", echo.Name);
        Assert.Equal(RpcPriority.High, echo.Priority);
        Assert.True(echo.AllowedReadOnly);
        Assert.False(TestProgram.Poke.AllowedReadOnly);
        Assert.Equal(RpcProcedureKind.Message, TestProgram.Event.Kind);
        Assert.True(TestProgram.GetValue.AllowedBeforeAuth);
        Assert.Null(TestProgram.Find(99));
    }

    private sealed class FakeInvoker : IRpcInvoker
    {
        public List<int> Calls { get; } = [];

        public ValueTask<TResult> InvokeAsync<TArgs, TResult>(RpcProcedure<TArgs, TResult> procedure, TArgs args, CancellationToken cancellationToken)
            where TArgs : IXdrType<TArgs>
            where TResult : IXdrType<TResult>
        {
            Calls.Add(procedure.Number);
            return ValueTask.FromResult(XdrCodec.Decode<TResult>(XdrCodec.Encode(args)));
        }
    }

    [Fact]
    public async Task ClientStub_CallsTheInvokerWithTheDescriptor()
    {
        var invoker = new FakeInvoker();
        var client = new TestProgramClient(invoker);
        var echoed = await client.EchoAsync(new EchoArgs { Value = 42 }, TestContext.Current.CancellationToken);
        Assert.Equal(42, echoed.Value);
        await client.PokeAsync(TestContext.Current.CancellationToken);
        Assert.Equal([1, 2], invoker.Calls);
    }

    private sealed class Server : TestProgramServerBase<string>
    {
        public override ValueTask<EchoArgs> EchoAsync(string context, EchoArgs args, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new EchoArgs { Value = args.Value + context.Length });
    }

    [Fact]
    public async Task ServerBase_DispatchesDecodesAndDefaultsToUnknownProcedure()
    {
        var server = new Server();
        var ct = TestContext.Current.CancellationToken;
        var result = await server.DispatchAsync("abc", 1, XdrCodec.Encode(new EchoArgs { Value = 1 }), ct);
        Assert.Equal(4, ((EchoArgs)result).Value);

        var unknown = await Assert.ThrowsAsync<RpcProcedureNotImplementedException>(async () => await server.DispatchAsync("x", 2, default, ct));
        Assert.Equal(2, unknown.Procedure);
        await Assert.ThrowsAsync<RpcProcedureNotImplementedException>(async () => await server.DispatchAsync("x", 3, default, ct));
        await Assert.ThrowsAsync<RpcProcedureNotImplementedException>(async () => await server.DispatchAsync("x", 77, default, ct));
        Assert.Throws<XdrFormatException>(() => server.DispatchAsync("x", 1, new byte[2], ct));
    }

    [Fact]
    public void MessageDecoder_DecodesEventBodies()
    {
        var message = TestProgram.DecodeMessage(3, XdrCodec.Encode(new EchoArgs { Value = 7 }));
        Assert.Equal(7, ((EchoArgs)message).Value);
        Assert.Throws<RpcProcedureNotImplementedException>(() => TestProgram.DecodeMessage(1, default));
    }
}
