namespace Virtwire.Fuzz.Targets;

/// <summary>
/// The message bodies: the first 2 bytes choose an args or result type of the procedure table
/// (<see cref="BodyTypes"/>), the rest is decoded as that type and must round-trip.
/// </summary>
internal static class BodyTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length >= 2)
        {
            BodyTypes.Select(input[..2]).Decode(input[2..]);
        }
    }
}
