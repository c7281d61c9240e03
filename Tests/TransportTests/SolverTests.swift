import Testing
import TensorModule
import Transport

@Suite struct SolverTests {
    /// The AE-OT toy: 8 tight clusters on a circle (M = 256 samples of it, normalised). The
    /// maximum relative cell error must fall below 0.5 on independent points.
    /// Tolerance: 2^17 fresh points put 512 in each cell (counting noise ~4.4 %, a maximum over 256
    /// cells of ~0.15 at most), so 0.5 is a real requirement on the heights.
    @Test func eightGaussiansConverge() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.eightGaussians(count: 256, seed: 11), dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.tolerance = .maxRelativeError(0.5)
        solver.evaluationPointCount = 1 << 17
        solver.maxIterations = 400
        let solution = solver.solve(problem, seed: 5)
        #expect(solution.hasConverged, "stopped by \(solution.stopReason) at max error \(solution.maxRelativeError)")
        let check = try CellErrorEstimate.measure(problem: problem, heights: solution.heights, pointCount: 1 << 17,
                                                  seed: 12345, sampling: .independentRandom)
        #expect(check.maxRelativeError < 0.5, "independent check: \(check.maxRelativeError)")
        #expect(check.emptyCells == 0)
    }

    /// A standard normal source (Sobol points through the inverse CDF) works as well.
    /// Tolerance: RMS 0.05 on 2^17 points for 64 targets (2048 per cell: noise ~2 %).
    @Test func gaussianSourceConverges() throws {
        let targets = TestProblems.uniform(count: 64, dimension: 2, extent: 1.5, seed: 4)
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2, source: .gaussian)
        var solver = SemiDiscreteSolver()
        solver.tolerance = Tolerance(maxRelativeError: 0.2, rmsRelativeError: 0.05)
        solver.evaluationPointCount = 1 << 17
        let solution = solver.solve(problem, seed: 8)
        #expect(solution.hasConverged, "stopped by \(solution.stopReason)")
        let check = try CellErrorEstimate.measure(problem: problem, heights: solution.heights, pointCount: 1 << 17,
                                                  seed: 77, sampling: .independentRandom)
        #expect(check.maxRelativeError < 0.25)
    }

    /// Adam (the reference optimiser, with bias correction and decay) converges on a small problem.
    @Test func adamConverges() throws {
        let targets = TestProblems.uniform(count: 32, dimension: 2, seed: 21)
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.method = .adam
        solver.tolerance = .rmsRelativeError(0.05)
        solver.evaluationPointCount = 1 << 16
        solver.maxIterations = 2000
        let solution = solver.solve(problem, seed: 9)
        #expect(solution.hasConverged, "stopped by \(solution.stopReason) at rms \(solution.rmsRelativeError)")
        #expect(solution.history.allSatisfy { $0.learningRate > 0 && $0.pointsPerStep > 0 })
    }

    /// Same seed, same settings: bit-identical heights; another seed: different heights (a sampled
    /// method: the exact planar one draws no points, see `ExactNewtonTests`).
    @Test func sameSeedSameHeights() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.eightGaussians(count: 64, seed: 2), dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.method = .newton
        solver.tolerance = .rmsRelativeError(0.02)
        let first = solver.solve(problem, seed: 42), second = solver.solve(problem, seed: 42)
        #expect(first.heights == second.heights)
        #expect(first.iterations == second.iterations)
        let other = solver.solve(problem, seed: 43)
        #expect(other.heights != first.heights)
    }

    /// A warm start from a converged solution converges at once.
    @Test func warmStartFromASolutionIsImmediate() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 100, dimension: 2, seed: 6), dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.tolerance = .rmsRelativeError(0.05)
        let solution = solver.solve(problem, seed: 1)
        #expect(solution.hasConverged)
        let again = try solver.solve(problem, seed: 2, initialHeights: solution.heights)
        #expect(again.hasConverged)
        #expect(again.iterations <= 3, "took \(again.iterations) steps")
    }

    /// The history, progress reports and stop reasons describe the run.
    @Test func historyAndProgressDescribeTheRun() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 50, dimension: 3, seed: 3), dimension: 3)
        var solver = SemiDiscreteSolver()
        solver.tolerance = .none
        solver.maxIterations = 12
        var reports = 0, finals = 0
        let solution = solver.solve(problem, seed: 4) { progress in
            reports += 1
            if progress.isFinal { finals += 1; #expect(progress.latestEvaluation != nil) }
        }
        #expect(!solution.hasConverged)
        #expect(solution.stopReason == .iterationLimit)
        #expect(solution.iterations == 12)
        #expect(solution.history.count == 12)
        #expect(solution.history.map(\.step) == Array(1...12))
        #expect(reports == 12, "\(reports) progress reports")
        #expect(finals == 1)
        #expect(solution.history.last?.evaluation != nil, "the returned heights are always evaluated")
        #expect(solution.history.allSatisfy { $0.seconds >= 0 && $0.energy.isFinite })
        #expect(abs(solution.heights.reduce(0, +)) < 1e-9)
    }

    /// A solution survives a JSON round trip (the CLI stores it next to the heights).
    @Test func solutionIsCodable() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 20, dimension: 2, seed: 1), dimension: 2)
        let solution = SemiDiscreteSolver().solve(problem, seed: 1)
        let data = try JSONEncoderForTests.encode(solution)
        let decoded = try JSONEncoderForTests.decode(SemiDiscreteSolution.self, from: data)
        #expect(decoded.heights == solution.heights)
        #expect(decoded.stopReason == solution.stopReason && decoded.method == solution.method && solution.method == .exactNewton)
        #expect(decoded.history == solution.history)
        #expect(decoded.evaluation == solution.evaluation)
    }

    /// A time budget stops the solve as such.
    @Test func timeBudgetStops() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 200, dimension: 8, seed: 3), dimension: 8)
        var solver = SemiDiscreteSolver()
        solver.tolerance = .none
        solver.maxIterations = 1_000_000
        solver.timeBudget = 0.3
        let solution = solver.solve(problem, seed: 4)
        #expect(solution.stopReason == .timeBudget)
        #expect(solution.seconds < 5)
    }

    /// Energy decreases (it is convex and the solver minimises it): the last step's energy is
    /// below the first's.
    @Test func energyDecreases() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 64, dimension: 2, seed: 13), dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.initialHeights = .zero
        solver.tolerance = .rmsRelativeError(0.02)
        let solution = solver.solve(problem, seed: 1)
        let energies = solution.history.filter { $0.cellCount == 64 }.map(\.energy)
        #expect(energies.last! < energies.first!)
    }
}
