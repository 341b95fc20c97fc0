using Virtwire.Xdr;

namespace Virtwire.Xdr.Tests;

public sealed class XdrPrimitiveTests
{
    private static byte[] Write(int size, WriteAction action)
    {
        var bytes = new byte[size];
        var writer = new XdrWriter(bytes);
        action(ref writer);
        Assert.Equal(size, writer.Position);
        return bytes;
    }

    private delegate void WriteAction(ref XdrWriter writer);

    [Fact]
    public void Integers_AreBigEndian()
    {
        Assert.Equal(Convert.FromHexString("FFFFFFFE"), Write(4, (ref XdrWriter w) => w.WriteInt32(-2)));
        Assert.Equal(Convert.FromHexString("0102030405060708"), Write(8, (ref XdrWriter w) => w.WriteUInt64(0x0102030405060708)));
        var reader = new XdrReader(Convert.FromHexString("80000000FFFFFFFFFFFFFFFF"));
        Assert.Equal(int.MinValue, reader.ReadInt32());
        Assert.Equal(-1L, reader.ReadInt64());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void String_IsLengthBytesAndZeroPadding()
    {
        var bytes = Write(12, (ref XdrWriter w) => w.WriteString("test:", 100));
        Assert.Equal(Convert.FromHexString("00000005746573743A000000"), bytes);
        var reader = new XdrReader(bytes);
        Assert.Equal("test:", reader.ReadString(100));
    }

    [Fact]
    public void OptionalString_HasPresenceFlag()
    {
        Assert.Equal(Convert.FromHexString("00000000"), Write(4, (ref XdrWriter w) => w.WriteOptionalString(null, 10)));
        Assert.Equal(Convert.FromHexString("000000010000000161000000"), Write(12, (ref XdrWriter w) => w.WriteOptionalString("a", 10)));
    }

    [Fact]
    public void CharScalar_IsSignExtendedOnWrite_AndLow8BitsOnRead()
    {
        Assert.Equal(Convert.FromHexString("FFFFFFFF"), Write(4, (ref XdrWriter w) => w.WriteByteAsInt32(0xFF)));
        var reader = new XdrReader(Convert.FromHexString("FFFFFFFF000000FF"));
        Assert.Equal(0xFF, reader.ReadByteAsInt32());
        Assert.Equal(0xFF, reader.ReadByteAsInt32());
    }

    [Fact]
    public void CharArray_TakesFourBytesPerByte()
    {
        var bytes = Write(12, (ref XdrWriter w) => w.WriteCharArray("ab"u8, 10));
        Assert.Equal(Convert.FromHexString("000000020000006100000062"), bytes);
        var reader = new XdrReader(bytes);
        Assert.Equal("ab"u8.ToArray(), reader.ReadCharArray(10));
    }

    [Fact]
    public void Uuid_FormatsAndParsesLikeLibvirt()
    {
        var uuid = XdrUuid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f");
        Assert.Equal("6695eb01-f6a4-8304-79aa-97f2502e193f", uuid.ToString());
        Assert.Equal(uuid, XdrUuid.Parse("6695eb01f6a4830479aa97f2502e193f"));
        Assert.Equal(Convert.FromHexString("6695eb01f6a4830479aa97f2502e193f"), XdrCodec.Encode(uuid));
        Assert.False(XdrUuid.TryParse("6695eb01-f6a4-8304-79aa", out _));
        Assert.False(XdrUuid.TryParse("zz95eb01-f6a4-8304-79aa-97f2502e193f", out _));
    }

    [Fact]
    public void Writer_RefusesValuesOverTheirMaximum()
    {
        Assert.Throws<InvalidOperationException>(() => Write(16, (ref XdrWriter w) => w.WriteString("too long", 4)));
        Assert.Throws<InvalidOperationException>(() => Write(16, (ref XdrWriter w) => w.WriteArrayCount(5, 4)));
    }
}

public sealed class XdrHardeningTests
{
    private static XdrFormatException Fails(byte[] input, ReadAction action) =>
        Assert.Throws<XdrFormatException>(() =>
        {
            var reader = new XdrReader(input);
            action(ref reader);
        });

    private delegate void ReadAction(ref XdrReader reader);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void ShortInput_IsAFormatError(int length) => Fails(new byte[length], (ref XdrReader r) => r.ReadInt32());

    [Fact]
    public void StringLongerThanMaximum_IsRejectedBeforeReading() =>
        Assert.Contains("maximum", Fails(Convert.FromHexString("0000000561626364650000000000"), (ref XdrReader r) => r.ReadString(4)).Message);

    [Fact]
    public void StringLongerThanRemainingBytes_IsTruncation() =>
        Assert.Contains("truncated", Fails(Convert.FromHexString("7FFFFFF0414243"), (ref XdrReader r) => r.ReadString(int.MaxValue)).Message);

    [Fact]
    public void HugeArrayCount_FailsWithoutAllocating()
    {
        // 0x7FFFFFFF elements of 8 bytes declared, 8 bytes present: must fail before any allocation.
        var before = GC.GetAllocatedBytesForCurrentThread();
        Fails(Convert.FromHexString("7FFFFFFF0000000000000000"), (ref XdrReader r) => r.ReadArrayCount(int.MaxValue, 8));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void ArrayCountOverMaximum_IsRejected() =>
        Fails(Convert.FromHexString("00000011"), (ref XdrReader r) => r.ReadArrayCount(16));

    [Fact]
    public void OpaqueOverMaximum_IsRejected() =>
        Fails(Convert.FromHexString("0000000800000000"), (ref XdrReader r) => r.ReadOpaque(4));

    [Fact]
    public void BadBool_IsRejected() => Fails(Convert.FromHexString("00000002"), (ref XdrReader r) => r.ReadBool());

    [Fact]
    public void InvalidUtf8_IsRejected() => Fails(Convert.FromHexString("00000001FF000000"), (ref XdrReader r) => r.ReadString(10));
}
