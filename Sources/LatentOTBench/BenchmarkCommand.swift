import Foundation
import ArgumentParser
import TensorModule
import NeuralNet

/// `latentot-bench`: LatentOT's performance against baselines measured in the same run (issue 6).
/// One JSON line per case on standard output, then a Markdown table; progress on standard error.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentot-bench",
        abstract: "Benchmarks of LatentOT against baselines measured in the same run (issue 6).",
        discussion: """
        Cases: 1 cell kernel vs plain sgemm (+argmax); 2 solver vs the reference algorithm; \
        3 peak memory of a solve at M = 1,000,000, d = 64 (child process); 4 autoencoder epoch vs PyTorch. \
        Every figure is a ratio against a baseline measured in the same run.
        """,
        subcommands: [MemoryChildCommand.self, KernelChildCommand.self])

    @Option(name: .long, help: "Cases to run, comma-separated: 1 kernel, 2 solver, 3 memory, 4 autoencoder.")
    var cases: String = "1,2,3,4"

    @Flag(name: .long, help: "Case 2: run the reference solver until it meets the tolerance or stops by its own rule, and record its steps in bench/baseline-steps.json (tens of minutes).")
    var full = false

    @Flag(name: .long, help: "A fast smoke run: small sizes, few steps, a few batches.")
    var quick = false

    @Option(name: .long, help: "Case 1: timed repetitions per method (median reported, after one warm-up).")
    var repetitions: Int = 3

    @Flag(name: .long, help: "Case 1: also profile where the kernel's time goes (tiles, dimensions, OpenBLAS core type).")
    var profile = false

    @Option(name: .long, help: "Case 2: a 2-D .npy of trained autoencoder codes (float32/64); the first 60,000 distinct rows are used. Default: a fixed clustered synthetic set.")
    var codes: String?

    @Option(name: .long, help: "Case 2: which problems, comma-separated: codes (M = 60,000, d = 32), toy (eight Gaussians, M = 256).")
    var problems: String = "codes,toy"

    @Option(name: .long, help: "Case 2: LatentOT's time budget on the codes (M = 60,000), in seconds (the target is 25; it needs about 200 here, docs/benchmarks.md).")
    var timeBudget: Double = 300

    @Option(name: .long, help: "Case 2: LatentOT's time budget on the eight Gaussians, in seconds (the target is 0.5).")
    var toyTimeBudget: Double = 30

    @Option(name: .long, help: "Case 2: reference steps timed in a default run (for its time per step).")
    var baselineSteps: Int = 20

    @Option(name: .long, help: "Case 2, --full: stop the reference after this many seconds of steps.")
    var baselineMaxSeconds: Double = 5400

    @Flag(name: .long, help: "Case 2: run only the reference solver (with --full: record its steps without timing LatentOT).")
    var baselineOnly = false

    @Option(name: .long, help: "Case 2: the file of recorded reference steps (default: bench/baseline-steps.json in the project).")
    var record: String?

    @Option(name: .long, help: "Case 3: method of the child's solve (adam, newton, hierarchicalAdam); see MemoryCase.")
    var memoryMethod: String = "adam"

    @Option(name: .long, help: "Case 4: batches timed per architecture (default: a whole epoch; 20 with --quick).")
    var batches: Int?

    @Option(name: .long, help: "Case 4: architectures to time, comma-separated (mlp, conv; default both).")
    var architectures: String = "mlp,conv"

    @Option(name: .long, help: "Case 4: the PyTorch script (default: bench/ae_epoch.py in the project).")
    var torchScript: String?

    func validate() throws {
        let allowed: Set<Int> = [1, 2, 3, 4]
        let given = cases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for item in given where Int(item).map({ !allowed.contains($0) }) ?? true {
            throw ValidationError("--cases: expected numbers among 1,2,3,4 separated by commas, found '\(item)'")
        }
        if full && quick { throw ValidationError("--full and --quick exclude each other") }
        if repetitions < 1 { throw ValidationError("--repetitions: expected ≥ 1, found \(repetitions)") }
        if let batches, batches < 1 { throw ValidationError("--batches: expected ≥ 1, found \(batches)") }
        for item in architectures.split(separator: ",") where Architecture(rawValue: item.trimmingCharacters(in: .whitespaces)) == nil {
            throw ValidationError("--architectures: expected mlp or conv separated by commas, found '\(item)'")
        }
    }

    func run() throws {
        let selected = Set(cases.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        let reporter = Reporter()
        reporter.emit(case: 0, name: "environment", [
            "commit": BenchEnvironment.commit, "date": BenchEnvironment.timestamp, "cpu": BenchEnvironment.cpuModel,
            "cores": Parallel.coreCount, "blasThreads": BLAS.threadCount,
            "openblasCoretype": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset (detected by OpenBLAS)",
            "mode": full ? "full" : quick ? "quick" : "default", "cases": selected.sorted(),
            "loadAverage": BenchEnvironment.loadAverage,
        ])
        if selected.contains(1) {
            let points = quick ? 1 << 12 : 1 << 15
            let shapes: [KernelCase.Shape] = [.init(points: points, targets: 60_000, dimension: 32),
                                              .init(points: points, targets: 10_000, dimension: 100)]
            KernelCase(shapes: shapes, repetitions: quick ? 1 : repetitions).run(reporter)
            if profile {
                let profiler = KernelProfile(points: quick ? 1 << 11 : 1 << 13, targets: 60_000, repetitions: quick ? 1 : repetitions)
                var result = profiler.run(reporter)
                result["openblasCoreTypes"] = try profiler.coreTypes(reporter, shapes: shapes)
                let codes = BenchData.syntheticCodes(count: 60_000, dimension: 32)
                var heightSets: [(String, [Float])] = [("zero (the reference's start)", [Float](repeating: 0, count: codes.count)),
                                                       ("Voronoi", BenchData.voronoiHeights(codes))]
                let saved = SolverCase.heightsFolder.appendingPathComponent("reference-heights-synthetic-M60000-d32.json")
                if let data = try? Data(contentsOf: saved), let heights = try? JSONSerialization.jsonObject(with: data) as? [Double],
                   heights.count == codes.count {
                    heightSets.append(("the reference's final (--full)", heights.map { Float($0) }))
                }
                result["pruning"] = PruningEstimate(points: quick ? 1 << 11 : 1 << 13).run(codes: codes, heightSets: heightSets, reporter: reporter)
                reporter.emit(case: 1, name: "cell-kernel-profile", result)
            }
        }
        if selected.contains(2) {
            let wanted = Set(problems.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let targetCount = quick ? 6_000 : 60_000
            let data = try codes.map { try BenchData.codesFile($0, limit: targetCount) }
                ?? BenchData.syntheticCodes(count: targetCount, dimension: 32)
            var solverCase = SolverCase(codes: data, timeBudget: quick ? min(60, timeBudget) : timeBudget,
                                        toyTimeBudget: quick ? min(15, toyTimeBudget) : toyTimeBudget, baselineSteps: quick ? 3 : baselineSteps,
                                        full: full, recordURL: record.map { URL(fileURLWithPath: $0) } ?? BaselineRecordFile.defaultURL,
                                        baselineMaxSeconds: baselineMaxSeconds)
            solverCase.runCodes = wanted.contains("codes")
            solverCase.runToy = wanted.contains("toy")
            solverCase.runLatentOT = !baselineOnly
            if quick { solverCase.evaluationPoints = 1 << 18 }
            try solverCase.run(reporter)
        }
        if selected.contains(3) {
            try MemoryCase(targets: quick ? 100_000 : 1_000_000, dimension: 64, steps: 2, points: 4096, method: memoryMethod)
                .run(reporter)
        }
        if selected.contains(4) {
            let script = torchScript.map { URL(fileURLWithPath: $0) } ?? BenchEnvironment.benchFolder.appendingPathComponent("ae_epoch.py")
            let chosen = architectures.split(separator: ",").compactMap { Architecture(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
            try AutoencoderCase(batches: batches ?? (quick ? 20 : nil), architectures: chosen, torchScript: script).run(reporter)
        }
        reporter.emit(case: 0, name: "end", ["loadAverage": BenchEnvironment.loadAverage, "date": BenchEnvironment.timestamp])
        print("")
        print("latentot-bench at \(BenchEnvironment.commit), \(BenchEnvironment.cpuModel), \(Parallel.coreCount) cores; load average \(BenchEnvironment.loadAverage) at the end (other work on the machine slows both sides alike)")
        print("")
        print(reporter.table())
    }
}
