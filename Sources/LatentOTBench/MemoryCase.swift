import Foundation
import ArgumentParser
import TensorModule
import Transport

/// Case 3: peak resident memory of a solve at M = 1,000,000, d = 64, against the memory of the
/// codes themselves (`M·d·4` bytes). The solve runs in a child process (this executable re-run with
/// the hidden `memory-child` subcommand), which makes its codes, resets the kernel's peak counter
/// (`/proc/self/clear_refs` ← 5) and reads `VmHWM` after the solve: the peak of the solve alone,
/// codes included (they stay resident). An N×M score matrix would show at once: at N = 4,096
/// points it alone is 16 GB.
///
/// A few steps only: a full default solve at this size is hours. The default method (Newton)
/// counts at least `newtonPointsPerCell · M` points on its first step (≥ 2^20 here, ~130 TFLOP), so
/// the child uses `.adam` (the same kernel, counts and evaluation, fixed points per step) with
/// Voronoi initial heights; `--memory-method` chooses another method.
struct MemoryCase {
    var targets: Int
    var dimension: Int
    var steps: Int
    var points: Int
    var method: String

    func run(_ reporter: Reporter) throws {
        log("case 3: child solve at M=\(targets), d=\(dimension), \(steps) steps of \(points) points, method \(method)")
        let result = try ChildProcess.run(["memory-child", "--targets", "\(targets)", "--dimension", "\(dimension)",
                                           "--steps", "\(steps)", "--points", "\(points)", "--method", method])
        let codesBytes = Double(targets * dimension * 4)
        let peak = (result["peakBytes"] as? Double) ?? .nan
        let before = (result["residentBeforeBytes"] as? Double) ?? .nan
        let scoreMatrix = Double(points) * Double(targets) * 4
        var json = result
        json["codesBytes"] = codesBytes
        json["peakOverCodes"] = peak / codesBytes
        json["nTimesMScoresBytes"] = scoreMatrix
        json["peakOverNTimesM"] = peak / scoreMatrix
        reporter.emit(case: 3, name: "memory", json)
        let gib = { (bytes: Double) in format(bytes / Double(1 << 30)) + " GiB" }
        reporter.row(3, "peak RSS of a solve, M=\(targets) d=\(dimension) (\(steps) steps × \(points) points, \(method))",
                     latentOT: gib(peak) + " (\(format(before / Double(1 << 30))) GiB before the solve)",
                     baseline: "codes M·d·4 = " + gib(codesBytes) + "; N×M scores would be " + gib(scoreMatrix),
                     ratio: times(peak / codesBytes) + " the codes")
    }
}

/// The hidden child of case 3.
struct MemoryChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory-child", abstract: "Case 3's solve (internal).",
                                                    shouldDisplay: false)

    @Option var targets: Int = 1_000_000
    @Option var dimension: Int = 64
    @Option var steps: Int = 2
    @Option var points: Int = 4096
    @Option var method: String = "adam"

    func run() throws {
        guard let solverMethod = SolverMethod(rawValue: method) else {
            throw ValidationError("--method: expected one of \(SolverMethod.allCases.map(\.rawValue)), found \(method)")
        }
        let codes = BenchData.syntheticCodes(count: targets, dimension: dimension, clusters: 100)
        // The peak from here on belongs to the solve (the codes stay resident throughout).
        let reset = (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
        let before = ProcessMemory.residentBytes ?? 0
        var solver = SemiDiscreteSolver()
        solver.method = solverMethod
        solver.initialHeights = .voronoi
        solver.pointsPerStep = points
        solver.maximumPointsPerStep = points
        solver.maxIterations = steps
        solver.evaluationPointCount = points
        solver.tolerance = .none
        let (seconds, solution) = try Stopwatch.time { () throws -> SemiDiscreteSolution in
            let problem = try SemiDiscreteProblem(targets: codes.values, dimension: dimension, source: BenchData.source)
            return solver.solve(problem, seed: 1)
        }
        let peak = ProcessMemory.peakResidentBytes ?? ProcessMemory.maxRSSBytes
        print(Reporter.json(["peakBytes": Double(peak), "residentBeforeBytes": Double(before),
                             "peakIsOfSolveAlone": reset, "maxRSSBytes": Double(ProcessMemory.maxRSSBytes),
                             "seconds": seconds, "steps": solution.iterations, "method": method, "pointsPerStep": points,
                             "M": targets, "d": dimension, "codes": codes.origin]))
    }
}
