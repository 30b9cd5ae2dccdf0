using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(EslCallflow.Benchmarks.PlanningBenchmarks).Assembly).Run(args);
