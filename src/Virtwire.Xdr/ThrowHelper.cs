using System.Diagnostics.CodeAnalysis;

namespace Virtwire.Xdr;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowTruncated(int needed, int remaining) =>
        throw new XdrFormatException($"XDR data truncated: needed {needed} bytes, {remaining} remain");

    [DoesNotReturn]
    public static void ThrowLengthTooLarge(string what, long length, int max) =>
        throw new XdrFormatException($"XDR {what} length {length} exceeds its maximum of {max}");

    [DoesNotReturn]
    public static void ThrowNegativeLength(string what, long length) =>
        throw new XdrFormatException($"XDR {what} length {length} is negative");

    [DoesNotReturn]
    public static void ThrowBadBool(uint value) =>
        throw new XdrFormatException($"XDR boolean has value {value}, expected 0 or 1");

    [DoesNotReturn]
    public static void ThrowBadPresence(uint value) =>
        throw new XdrFormatException($"XDR optional-data flag has value {value}, expected 0 or 1");

    [DoesNotReturn]
    public static void ThrowBufferTooSmall(int needed, int remaining) =>
        throw new InvalidOperationException($"XDR writer needs {needed} bytes but only {remaining} remain; GetSize() disagrees with Write()");

    [DoesNotReturn]
    public static void ThrowNonZeroPadding() =>
        throw new XdrFormatException("XDR padding bytes are not zero");

    [DoesNotReturn]
    public static void ThrowInvalidUtf8(Exception inner) =>
        throw new XdrFormatException("XDR string is not valid UTF-8", inner);

    [DoesNotReturn]
    public static void ThrowOverMax(string what, int length, int max) =>
        throw new InvalidOperationException($"cannot encode {what} of length {length}: the protocol maximum is {max}");

    [DoesNotReturn]
    public static void ThrowFixedLength(int expected, int actual) =>
        throw new InvalidOperationException($"fixed-length XDR field needs exactly {expected} bytes, got {actual}");
}
