namespace Virtwire.Fuzz;

/// <summary>Runs one input through the code under test.</summary>
/// <remarks>
/// Expected rejections of malformed input are caught inside the action; anything that escapes is a
/// finding (AFL++ records it as a crash, the in-process runner stops on it).
/// </remarks>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

/// <summary>A named fuzz target: one layer of the stack, fed arbitrary bytes.</summary>
public sealed record FuzzTarget(string Name, string Description, FuzzAction Run);

/// <summary>
/// Thrown by a target when the code under test accepted an input but broke one of its own promises
/// (a value that does not re-encode to what it decoded from, a dumped XML that does not parse again).
/// Never caught: it is a finding like any unexpected exception.
/// </summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
