import Testing
import TensorModule
import Transport

/// The energy, its gradient and the map, checked against their definitions.
@Suite struct SolverMathTests {
    /// On a fixed point set the sampled energy E(h) = (1/N) Σ_n max_i(<x_n, y_i> + h_i) - Σ ν_i h_i
    /// is piecewise linear in h: its exact directional derivative along v (no point changing cell)
    /// is Σ_i v_i (w_i - ν_i), w_i = count_i / N — the gradient the solver steps on. Central
    /// differences with a step below half the smallest score gap (divided by the largest |v_i - v_j|)
    /// cross no facet, so they must agree to rounding.
    @Test func energyGradientMatchesFiniteDifferences() throws {
        let d = 3, m = 40, n = 5000
        let targets = TestProblems.uniform(count: m, dimension: d, seed: 17)
        let problem = try SemiDiscreteProblem(targets: targets, dimension: d, weights: nil)
        var generator = SeededGenerator(seed: 23)
        let points = problem.source.points(count: n, dimension: d, using: &generator)
        let heights = (0..<m).map { _ in 0.1 * generator.nextGaussian() }
        let direction = (0..<m).map { _ in generator.nextGaussian() }
        let cells = PowerCells(targets: targets, dimension: d)

        func energy(_ h: [Double]) -> (value: Double, counts: [Int], minimumGap: Float) {
            let assignment = cells.assign(points: points, heights: h.map { Float($0) })
            var total = 0.0
            var counts = [Int](repeating: 0, count: m)
            for p in 0..<n {
                let i = Int(assignment.best[p])
                counts[i] += 1
                var s = h[i]
                for j in 0..<d { s += Double(points[p * d + j]) * Double(targets[i * d + j]) }
                total += s
            }
            var weighted = 0.0
            for i in 0..<m { weighted += problem.targetWeights[i] * h[i] }
            return (total / Double(n) - weighted, counts, assignment.gap.min()!)
        }
        let base = energy(heights)
        let spread = direction.max()! - direction.min()!
        let step = Double(base.minimumGap) / (4 * spread)
        #expect(step > 1e-7, "points too close to a facet for a clean difference (step \(step))")
        let plus = energy(zip(heights, direction).map { $0 + step * $1 })
        let minus = energy(zip(heights, direction).map { $0 - step * $1 })
        #expect(plus.counts == base.counts && minus.counts == base.counts, "no point may change cell")
        let difference = (plus.value - minus.value) / (2 * step)
        var exact = 0.0
        for i in 0..<m { exact += direction[i] * (Double(base.counts[i]) / Double(n) - problem.targetWeights[i]) }
        #expect(abs(difference - exact) < 1e-6, "finite difference \(difference), gradient \(exact)")
    }

    /// The pushforward of fresh source points matches ν: Pearson's χ² of the pure map's counts
    /// against N ν over M = 16 cells (15 degrees of freedom; its 0.999 quantile is 37.7). The
    /// solution's own error (RMS ≤ 0.01) adds about N · 0.01² = 2; the bound is 40.
    @Test func pushforwardMatchesTheWeightsChiSquare() throws {
        var generator = SeededGenerator(seed: 99)
        let raw = (0..<16).map { _ in 0.5 + generator.nextUnitDouble() }
        let total = raw.reduce(0, +)
        let weights = raw.map { $0 / total }
        let problem = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 16, dimension: 2, seed: 8),
                                              dimension: 2, weights: weights)
        var solver = SemiDiscreteSolver()
        solver.tolerance = Tolerance(maxRelativeError: 0.03, rmsRelativeError: 0.01)
        let solution = solver.solve(problem, seed: 6)
        #expect(solution.hasConverged)
        let map = TransportMap(problem: problem, heights: solution.heights)
        let count = 20_000
        let sample = map.pure(count: count, using: &generator)
        let targetIndices = sample.bestTargets.map { Int($0) }
        #expect(targetIndices.count == count)
        var counts = [Int](repeating: 0, count: 16)
        for i in targetIndices { counts[i] += 1 }
        var chiSquare = 0.0
        for i in 0..<16 {
            let expected = Double(count) * problem.targetWeights[i]
            chiSquare += (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
        }
        #expect(chiSquare < 40, "χ² = \(chiSquare)")
        // Each code is its target's row.
        for (row, i) in targetIndices.enumerated().prefix(50) {
            let code: [Float] = Array(sample.codes[(row * 2)..<(row * 2 + 2)])
            let target: [Float] = Array(problem.target(i))
            #expect(code == target)
        }
    }

    /// The relative cell error statistics follow their definitions on hand-made counts.
    @Test func cellErrorEstimateFormulas() {
        // N = 1000, ν = (0.5, 0.3, 0.2), counts (520, 280, 200): r = (0.04, -0.0667, 0).
        let estimate = CellErrorEstimate(counts: [520, 280, 200], sampleCount: 1000, weights: [0.5, 0.3, 0.2])
        #expect(abs(estimate.maxRelativeError - 20.0 / 300) < 1e-12)
        #expect(estimate.worstCell == 1)
        #expect(abs(estimate.meanRelativeError - (0.04 + 20.0 / 300) / 3) < 1e-12)
        var corrected = 0.0
        for (c, w) in zip([520.0, 280, 200], [0.5, 0.3, 0.2]) {
            let e = 1000 * w
            corrected += ((c - e) * (c - e) - e * (1 - w)) / (e * e)
        }
        #expect(abs(estimate.rmsRelativeError - max(0, corrected / 3).squareRoot()) < 1e-12)
        #expect(estimate.emptyCells == 0)
        // Pure noise-sized errors are clamped at 0.
        let noise = CellErrorEstimate(counts: [501, 299, 200], sampleCount: 1000, weights: [0.5, 0.3, 0.2])
        #expect(noise.rmsRelativeError == 0)
        let empty = CellErrorEstimate(counts: [1000, 0, 0], sampleCount: 1000, weights: [0.5, 0.3, 0.2])
        #expect(empty.emptyCells == 2 && empty.maxRelativeError == 1)
    }
}
