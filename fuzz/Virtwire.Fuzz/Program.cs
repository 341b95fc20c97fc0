using System.Globalization;
using System.Security.Cryptography;
using SharpFuzz;
using Virtwire.Fuzz.Corpus;

namespace Virtwire.Fuzz;

internal static class Program
{
    private const string Usage = """
        usage: Virtwire.Fuzz TARGET --afl [--out-of-process]   under afl-fuzz (fuzz/run.sh), the input on stdin
               Virtwire.Fuzz TARGET --iterations N [--seed S] [--corpus DIR] [--dict FILE]
                                                        in process, no AFL: the corpus, then N random and mutated inputs
               Virtwire.Fuzz TARGET --run PATH...       run saved inputs (files or directories), e.g. AFL++ crashes
               Virtwire.Fuzz corpus [--out DIR]         rebuild fuzz/corpus/<target>/ from tests/data/captures
               Virtwire.Fuzz list                       the targets
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (args[0] == "list")
        {
            foreach (var t in FuzzTargets.All)
            {
                Console.WriteLine($"{t.Name,-13} {t.Description}");
            }

            return 0;
        }

        if (args[0] == "corpus")
        {
            var output = Option(args, "--out") ?? FuzzPaths.Corpus;
            CorpusBuilder.Write(FuzzPaths.Captures, output);
            foreach (var t in FuzzTargets.All)
            {
                Console.WriteLine($"{t.Name,-13} {Directory.GetFiles(Path.Combine(output, t.Name)).Length} seeds in {Path.Combine(output, t.Name)}");
            }

            return 0;
        }

        var target = FuzzTargets.Find(args[0]);
        if (target is null)
        {
            Console.Error.WriteLine($"unknown target '{args[0]}'; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
            return 2;
        }

        if (args.Contains("--afl"))
        {
            return OnDaemonSizedStack(() =>
            {
                RunAfl(target, args.Contains("--out-of-process"));
                return 0;
            });
        }

        if (args.Contains("--run"))
        {
            return OnDaemonSizedStack(() => RunSaved(target, args.SkipWhile(a => a != "--run").Skip(1)));
        }

        if (Option(args, "--iterations") is { } iterations)
        {
            return OnDaemonSizedStack(() => RunInProcess(target, args, long.Parse(iterations, CultureInfo.InvariantCulture)));
        }

        Console.Error.WriteLine(Usage);
        return 2;
    }

    // The daemon decodes and parses on thread-pool threads, which have 1.5 MiB of stack rather than the main
    // thread's 8 MiB: inputs run on a thread of that size, so a recursion too deep for the daemon is a crash here.
    private static int OnDaemonSizedStack(Func<int> run)
    {
        var status = 0;
        var thread = new Thread(() => status = run(), maxStackSize: 1536 * 1024);
        thread.Start();
        thread.Join();
        return status;
    }

    // SharpFuzz's fork server: afl-fuzz writes each input to stdin; an exception escaping the target is a crash.
    private static void RunAfl(FuzzTarget target, bool outOfProcess)
    {
        var buffer = new MemoryStream();
        void Execute(Stream input)
        {
            buffer.SetLength(0);
            input.CopyTo(buffer);
            target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }

        if (outOfProcess)
        {
            // Survives a stack overflow or a hang, at the price of a new process after each one.
            Fuzzer.OutOfProcess.Run(Execute);
        }
        else
        {
            Fuzzer.Run(Execute);
        }
    }

    private static int RunInProcess(FuzzTarget target, string[] args, long iterations)
    {
        var seed = int.Parse(Option(args, "--seed") ?? "1", CultureInfo.InvariantCulture);
        var corpus = CorpusFiles.Load(Option(args, "--corpus") ?? FuzzPaths.CorpusOf(target.Name));
        var tokens = CorpusFiles.LoadDictionary(Option(args, "--dict") ?? FuzzPaths.DictionaryOf(target.Name));
        var result = InProcessFuzzer.Run(target, corpus, tokens, iterations, seed);
        var rate = result.Executions / Math.Max(result.Elapsed.TotalSeconds, 0.001);
        Console.WriteLine($"{target.Name}: {result.Executions} executions ({corpus.Count} corpus inputs, seed {seed}) " +
            $"in {result.Elapsed.TotalSeconds:F1} s, {rate:F0}/s, {(result.Passed ? "no finding" : "FINDING")}");
        if (result.Passed)
        {
            return 0;
        }

        var file = $"crash-{target.Name}-{Convert.ToHexString(SHA256.HashData(result.FailingInput!))[..16].ToLowerInvariant()}";
        File.WriteAllBytes(file, result.FailingInput!);
        Console.WriteLine($"input saved to {file} ({result.FailingInput!.Length} bytes): {Convert.ToHexString(result.FailingInput!)}");
        Console.WriteLine(result.Failure);
        return 1;
    }

    private static int RunSaved(FuzzTarget target, IEnumerable<string> paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: ok");
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"{file}: {ex}");
            }
        }

        Console.WriteLine($"{files.Count} inputs, {failed} findings");
        return failed == 0 ? 0 : 1;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
