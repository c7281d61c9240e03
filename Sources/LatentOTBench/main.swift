// `latentot-bench`: see BenchmarkCommand.
BenchmarkCommand.main()
