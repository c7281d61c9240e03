// `latentot-bench`: see BenchmarkCommand (filled in by the performance work).
print("latentot-bench: no cases yet")
