import Testing
import Foundation
import TensorModule
import Transport

/// Known answers of the semi-discrete solver and its kernel.
@Suite struct SemiDiscreteSolverTests {
    func solver(tolerance: Tolerance, evaluationPoints: Int = 1 << 18) -> SemiDiscreteSolver {
        var solver = SemiDiscreteSolver()
        solver.tolerance = tolerance
        solver.evaluationPointCount = evaluationPoints
        solver.maxIterations = 3000
        return solver
    }

    /// Targets y = -1 and y = +1 with weights (0.3, 0.7) on the uniform [-1, 1]: the cells meet at
    /// x = -0.4, where -x + h_1 = x + h_2, so h_2 - h_1 = 0.8. Tolerance 0.02: a 1 % relative error of
    /// the 0.3 cell moves the boundary by 0.003 and the height difference by 0.006.
    @Test func twoTargetsInOneDimensionSplitAtTheKnownPoint() throws {
        let problem = try SemiDiscreteProblem(targets: [-1, 1], dimension: 1, weights: [0.3, 0.7])
        let solution = solver(tolerance: .maxRelativeError(0.01)).solve(problem, seed: 1)
        #expect(solution.hasConverged)
        #expect(abs((solution.heights[1] - solution.heights[0]) - 0.8) < 0.02, "heights \(solution.heights)")
        #expect(abs(solution.heights.reduce(0, +)) < 1e-9, "heights are centred")
    }

    /// With a Gaussian source and equal weights, symmetric targets split R at 0: equal heights.
    /// Tolerance 0.03: at the 1 % stop a 0.5 cell may hold 0.495, which puts the boundary at
    /// x = Φ⁻¹(0.495) ≈ −0.0125, i.e. |h_1 − h_2| = 2|x| ≤ 0.025.
    @Test func gaussianSourceSymmetricTargets() throws {
        let problem = try SemiDiscreteProblem(targets: [-1, 1], dimension: 1, source: .gaussian)
        let solution = try solver(tolerance: .maxRelativeError(0.01)).solve(problem, seed: 2, initialHeights: [0.3, -0.3])
        #expect(abs(solution.heights[0] - solution.heights[1]) < 0.03, "heights \(solution.heights)")
    }

    /// The six targets ±e_k of R^3 are symmetric under the cube's rotations: from unequal start
    /// heights the solver returns equal heights (equal cells).
    @Test func symmetricTargetsGetEqualCells() throws {
        var targets: [Float] = []
        for k in 0..<3 { for sign: Float in [-0.5, 0.5] { var y: [Float] = [0, 0, 0]; y[k] = sign; targets += y } }
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 3)
        let start: [Double] = [0.05, -0.02, 0.03, 0, -0.04, 0.01]
        let solution = try solver(tolerance: .maxRelativeError(0.02)).solve(problem, seed: 3, initialHeights: start)
        #expect(solution.hasConverged)
        let spread = solution.heights.max()! - solution.heights.min()!
        #expect(spread < 0.01, "heights \(solution.heights)")
    }

    /// Fresh independent points pushed through the solved map land in the cells in proportion to ν:
    /// Pearson's χ² over M = 40 cells stays below a bound that allows the counting noise (mean 39,
    /// sd ≈ 9) plus the solver's residual error (rms ≤ 0.03 adds about N·0.03²·… ≈ 45 at most).
    @Test func pushforwardMatchesTheWeightsInChiSquare() throws {
        var rng = SeededGenerator(seed: 7)
        let m = 40, d = 3
        let targets = (0..<(m * d)).map { _ in rng.nextUnitFloat() * 1.6 - 0.8 }
        var weights = (0..<m).map { _ in 0.5 + rng.nextUnitDouble() }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let problem = try SemiDiscreteProblem(targets: targets, dimension: d, weights: weights)
        let solution = solver(tolerance: .rmsRelativeError(0.03)).solve(problem, seed: 4)
        #expect(solution.hasConverged)
        let map = TransportMap(problem: problem, heights: solution.heights)
        var fresh = SeededGenerator(seed: 99)
        let n = 50_000
        let points = problem.source.points(count: n, dimension: d, using: &fresh)
        var counts = [Int](repeating: 0, count: m)
        for cell in map.cellIndices(of: points) { counts[Int(cell)] += 1 }
        let chiSquare = (0..<m).reduce(0.0) { sum, i in
            let expected = Double(n) * weights[i]
            return sum + (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
        }
        #expect(chiSquare < 39 + 5 * 9 + 45, "χ² = \(chiSquare)")
    }

    @Test func sameSeedSameHeights() throws {
        var rng = SeededGenerator(seed: 8)
        let targets = (0..<(100 * 2)).map { _ in rng.nextUnitFloat() - 0.5 }
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2)
        let solver = solver(tolerance: .rmsRelativeError(0.05), evaluationPoints: 1 << 16)
        #expect(solver.solve(problem, seed: 5).heights == solver.solve(problem, seed: 5).heights)
    }

    @Test func invalidProblemsAreRefused() {
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [], dimension: 2) }
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [0, .nan, 1, 2], dimension: 2) }
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [0, 1, 2], dimension: 2) }
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [1.2, -0.2]) }
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [0.5, 0.6]) }
        #expect(throws: TransportError.self) { try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [1]) }
    }
}

/// The power-cell kernel against a brute-force loop, and the energy's gradient against finite differences.
@Suite struct KernelAgainstBruteForceTests {
    func bruteForce(_ points: [Float], _ targets: [Float], _ heights: [Float], d: Int) -> [(best: Int, second: Int, gap: Float)] {
        let n = points.count / d, m = targets.count / d
        return (0..<n).map { p in
            var scores: [(Float, Int)] = []
            for i in 0..<m {
                var s: Float = heights[i]
                for j in 0..<d { s += points[p * d + j] * targets[i * d + j] }
                scores.append((s, i))
            }
            scores.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            return (scores[0].1, scores[1].1, scores[0].0 - scores[1].0)
        }
    }

    /// M = 1031 (not a multiple of any tile), with a repeated target to force a tie: the lowest index wins.
    @Test func kernelEqualsBruteForce() {
        var rng = SeededGenerator(seed: 11)
        let d = 5, m = 1031, n = 777
        var targets = (0..<(m * d)).map { _ in rng.nextUnitFloat() - 0.5 }
        for j in 0..<d { targets[10 * d + j] = targets[3 * d + j] }
        var heights = (0..<m).map { _ in (rng.nextUnitFloat() - 0.5) * 0.1 }
        heights[10] = heights[3]
        let points = (0..<(n * d)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let cells = PowerCells(targets: targets, dimension: d)
        let fast = cells.assign(points: points, heights: heights)
        let slow = bruteForce(points, targets, heights, d: d)
        var mismatches = 0
        for p in 0..<n {
            // Float sums in another order can differ in the last bits: a near-tie may legitimately swap.
            if Int(fast.best[p]) != slow[p].best && slow[p].gap > 1e-5 { mismatches += 1 }
            if slow[p].gap > 1e-5 { #expect(abs(fast.gap[p] - slow[p].gap) < 1e-4) }
            #expect(fast.best[p] != 10, "the tie between targets 3 and 10 goes to 3")
        }
        #expect(mismatches == 0)
        let top = cells.topK(points: points, heights: heights, k: 4)
        for p in stride(from: 0, to: n, by: 17) {
            #expect(Int(top.indices(ofPoint: p).first!) == Int(fast.best[p]))
            let scores = Array(top.scores(ofPoint: p))
            #expect(scores == scores.sorted(by: >))
        }
    }

    /// On a fixed point set E_N(h) = mean_x max_i (<x, y_i> + h_i) − Σ ν_i h_i is piecewise linear,
    /// with gradient counts_i/N − ν_i; central differences with a step far below every point's gap
    /// reproduce it exactly (up to float rounding).
    @Test func energyGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 12)
        let d = 3, m = 30, n = 2000
        let targets = (0..<(m * d)).map { _ in rng.nextUnitFloat() - 0.5 }
        let heights = (0..<m).map { _ in Double(rng.nextUnitFloat() - 0.5) * 0.2 }
        let weights = [Double](repeating: 1 / Double(m), count: m)
        let points = (0..<(n * d)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        func energy(_ h: [Double]) -> Double {
            var total = 0.0
            for p in 0..<n {
                var best = -Double.infinity
                for i in 0..<m {
                    var s = h[i]
                    for j in 0..<d { s += Double(points[p * d + j]) * Double(targets[i * d + j]) }
                    best = max(best, s)
                }
                total += best
            }
            return total / Double(n) - zip(weights, h).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let assignment = PowerCells(targets: targets, dimension: d).assign(points: points, heights: heights.map(Float.init))
        let minimumGap = assignment.gap.min()!
        let step = Double(minimumGap) / 4
        #expect(step > 1e-6, "points are off the cell boundaries")
        var counts = [Int](repeating: 0, count: m)
        for b in assignment.best { counts[Int(b)] += 1 }
        for i in [0, 7, 19, 29] {
            var plus = heights, minus = heights
            plus[i] += step; minus[i] -= step
            let numeric = (energy(plus) - energy(minus)) / (2 * step)
            let analytic = Double(counts[i]) / Double(n) - weights[i]
            #expect(abs(numeric - analytic) < 1e-6, "cell \(i): \(numeric) vs \(analytic)")
        }
    }
}
