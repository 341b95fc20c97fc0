using Virtwire.Fuzz;
using Virtwire.Fuzz.Corpus;

namespace Virtwire.Fuzz.Tests;

/// <summary>
/// Every fuzz target runs in process over its corpus and a few thousand mutated inputs, so a target
/// that no longer builds or runs, or a decoder that starts throwing the wrong exception, fails the
/// ordinary test run. The deep search is fuzz/run.sh under AFL++ (fuzz/README.md).
/// </summary>
public sealed class FuzzSmokeTests
{
    // A fixed seed: the same inputs every run, so a failure here reproduces with
    // `Virtwire.Fuzz TARGET --iterations 5000 --seed 8`.
    private const int Seed = 8;
    private const int Iterations = 5000;

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Fact]
    public void Targets_AreOnePerLayer() =>
        Assert.Equal(["frame", "header", "body", "typed-params", "domain-xml"], FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_CorpusAndMutations_FindNothing(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var corpus = CorpusFiles.Load(FuzzPaths.CorpusOf(name));
        Assert.NotEmpty(corpus);

        var result = InProcessFuzzer.Run(target, corpus, CorpusFiles.LoadDictionary(FuzzPaths.DictionaryOf(name)), Iterations, Seed);

        Assert.True(result.Passed, $"{name}: input {Convert.ToHexString(result.FailingInput ?? [])} gave {result.Failure}");
        Assert.Equal(corpus.Count + Iterations, result.Executions);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_SavedFindings_StayFixed(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var directory = Path.Combine(FuzzPaths.Root!, "fuzz", "regressions", name);
        foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory) : [])
        {
            var exception = Record.Exception(() => target.Run(File.ReadAllBytes(file)));
            Assert.True(exception is null, $"{Path.GetFileName(file)}: {exception}");
        }
    }

    [Fact]
    public void Corpus_IsWhatTheCapturesGive()
    {
        foreach (var (target, seeds) in CorpusBuilder.Build(FuzzPaths.Captures))
        {
            var directory = FuzzPaths.CorpusOf(target);
            Assert.Equal(seeds.Select(s => s.Name).Order(StringComparer.Ordinal), Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var (file, bytes) in seeds)
            {
                Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(directory, file))),
                    $"fuzz/corpus/{target}/{file} is stale: run `dotnet run --project fuzz/Virtwire.Fuzz -c Release -- corpus`");
            }
        }
    }

    [Fact]
    public void InProcessFuzzer_ReportsAnEscapingException_WithItsInput()
    {
        // A target with a planted bug: the runner must stop on it and hand back the input.
        var planted = new FuzzTarget("planted", "throws on a 0xff first byte", input =>
        {
            if (input.Length > 0 && input[0] == 0xff)
            {
                throw new IndexOutOfRangeException();
            }
        });

        var result = InProcessFuzzer.Run(planted, [[0x00, 0x01]], [], 100_000, Seed);

        Assert.IsType<IndexOutOfRangeException>(result.Failure);
        Assert.Equal(0xff, result.FailingInput![0]);
    }
}
