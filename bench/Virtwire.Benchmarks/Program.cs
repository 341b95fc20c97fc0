using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Virtwire.Benchmarks.CodecBenchmarks).Assembly).Run(args);
