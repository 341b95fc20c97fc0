using System.Diagnostics;

namespace Virtwire.Fuzz;

/// <summary>The outcome of an in-process run: how many inputs ran and the first that escaped as a finding.</summary>
public sealed record InProcessResult(string Target, long Executions, TimeSpan Elapsed, byte[]? FailingInput, Exception? Failure)
{
    public bool Passed => Failure is null;
}

/// <summary>
/// Fuzzing without AFL++ and without instrumentation: every corpus input as it is, then
/// <c>iterations</c> random and mutated inputs from a seeded <see cref="Random"/>, so a run is repeatable
/// anywhere (the smoke test, a machine without afl-fuzz). No coverage feedback: it finds shallow bugs
/// and keeps the targets from rotting; AFL++ does the deep search.
/// </summary>
public static class InProcessFuzzer
{
    public static InProcessResult Run(FuzzTarget target, IReadOnlyList<byte[]> corpus, IReadOnlyList<byte[]> tokens, long iterations, int seed)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(corpus);
        var stopwatch = Stopwatch.StartNew();
        var executions = 0L;
        var mutator = new Mutator(new Random(seed), corpus, tokens);
        foreach (var input in corpus.Concat(Generate(mutator, iterations)))
        {
            executions++;
            try
            {
                target.Run(input);
            }
            catch (Exception ex)
            {
                return new InProcessResult(target.Name, executions, stopwatch.Elapsed, input, ex);
            }
        }

        return new InProcessResult(target.Name, executions, stopwatch.Elapsed, null, null);
    }

    private static IEnumerable<byte[]> Generate(Mutator mutator, long count)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return mutator.Next();
        }
    }
}
