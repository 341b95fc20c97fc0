namespace Virtwire.Fuzz;

internal static class Invariant
{
    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message);
        }
    }
}
