import Foundation
import Testing
import TensorModule
import Transport

/// The exact planar power diagram (`PowerDiagram2D`) and the Newton method built on it.
@Suite struct ExactNewtonTests {
    /// Two targets on the x-axis: the facet is the vertical line x = h (worked by hand).
    @Test func twoCellsKnownAnswer() {
        let diagram = PowerDiagram2D(targets: [-0.5, 0, 0.5, 0], heights: [0.2, 0], halfWidth: 1)
        // s_0 = -x/2 + 0.2 ≥ s_1 = x/2  ⇔  x ≤ 0.2: areas 2.4 and 1.6 of 4.
        #expect(abs(diagram.masses[0] - 0.6) < 1e-12 && abs(diagram.masses[1] - 0.4) < 1e-12)
        // Facet of length 2 between targets 1 apart: A = 2 / (1 · 4).
        #expect(diagram.facets.count == 1)
        #expect(diagram.facets[0].low == 0 && diagram.facets[0].high == 1 && abs(diagram.facets[0].weight - 0.5) < 1e-12)
        // ∫u = 0.6 · (-(-0.4)/2 + 0.2) + 0.4 · (0.6/2) (centroids at x = -0.4 and 0.6).
        #expect(abs(diagram.potentialIntegral - (0.6 * 0.4 + 0.4 * 0.3)) < 1e-12)
    }

    /// Errors of exact masses: no noise correction, no noise floor, no points.
    @Test func exactMassErrors() {
        let estimate = CellErrorEstimate(exactMasses: [0.5, 0.25, 0.25, 0], weights: [0.25, 0.5, 0.125, 0.125])
        // r = (1, -0.5, 1, -1)
        #expect(estimate.maxRelativeError == 1 && estimate.worstCell == 0)
        #expect(abs(estimate.meanRelativeError - 0.875) < 1e-15)
        #expect(abs(estimate.rmsRelativeError - (3.25 / 4).squareRoot()) < 1e-15)
        #expect(estimate.rawRmsRelativeError == estimate.rmsRelativeError)
        #expect(estimate.noiseFloor == 0 && estimate.sampleCount == 0 && estimate.emptyCells == 1)
    }

    static func randomCase(count: Int, seed: UInt64) -> (targets: [Float], heights: [Double]) {
        var generator = SeededGenerator(seed: seed)
        let targets = TestProblems.uniform(count: count, dimension: 2, extent: 0.9, seed: seed)
        let heights = (0..<count).map { _ in 0.05 * generator.nextGaussian() }
        return (targets, heights)
    }

    /// The masses sum to 1 and agree with counting 2^20 Sobol points of the square (within 4σ).
    @Test func massesAgreeWithCounting() throws {
        let (targets, heights) = Self.randomCase(count: 40, seed: 3)
        let diagram = PowerDiagram2D(targets: targets, heights: heights, halfWidth: 1)
        #expect(abs(diagram.masses.reduce(0, +) - 1) < 1e-12)
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2, weights: diagram.masses.map { max($0, 1e-12) }
            .map { $0 / diagram.masses.reduce(0) { $0 + max($1, 1e-12) } })
        let n = 1 << 20
        let counted = try CellErrorEstimate.measure(problem: problem, heights: heights, pointCount: n, seed: 5,
                                                    sampling: .independentRandom)
        // Against weights equal to the exact masses, the counts are pure binomial noise.
        #expect(counted.rawRmsRelativeError < 2 * counted.noiseFloor, "\(counted.rawRmsRelativeError) vs noise \(counted.noiseFloor)")
        #expect(counted.rmsRelativeError < 0.02)
    }

    /// Facet weights are the Hessian: ∂μ(W_i)/∂h_j = -A_ij, checked by central differences; and the
    /// energy's gradient is μ(W_j) - ν_j.
    @Test func facetWeightsAndMassesAreTheDerivatives() {
        let (targets, heights) = Self.randomCase(count: 12, seed: 8)
        let weights = [Double](repeating: 1.0 / 12, count: 12)
        let diagram = PowerDiagram2D(targets: targets, heights: heights, halfWidth: 1)
        var facet: [Int: Double] = [:]
        for f in diagram.facets { facet[Int(f.low) * 12 + Int(f.high)] = f.weight }
        #expect(diagram.facets.count >= 11, "12 cells tiling the square: a connected facet graph")
        let step = 1e-6
        func energy(_ h: [Double]) -> Double {
            PowerDiagram2D(targets: targets, heights: h, halfWidth: 1).potentialIntegral - zip(weights, h).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for j in 0..<12 {
            var up = heights, down = heights
            up[j] += step; down[j] -= step
            let plus = PowerDiagram2D(targets: targets, heights: up, halfWidth: 1)
            let minus = PowerDiagram2D(targets: targets, heights: down, halfWidth: 1)
            for i in 0..<12 where i != j {
                let derivative = (plus.masses[i] - minus.masses[i]) / (2 * step)
                let expected = -(facet[min(i, j) * 12 + max(i, j)] ?? 0)
                #expect(abs(derivative - expected) < 1e-5, "∂μ_\(i)/∂h_\(j) = \(derivative), facet weight \(expected)")
            }
            let gradient = (energy(up) - energy(down)) / (2 * step)
            #expect(abs(gradient - (diagram.masses[j] - weights[j])) < 1e-6)
        }
    }

    /// `.automatic` takes the exact method for planar targets and a square source, and converges to
    /// any tolerance in a few steps; 2^20 fresh points see only their own counting noise.
    @Test func solvesEightGaussiansExactly() throws {
        let problem = try SemiDiscreteProblem(targets: TestProblems.eightGaussians(count: 256, seed: 1), dimension: 2)
        var solver = SemiDiscreteSolver()
        #expect(solver.resolvedMethod(for: problem) == .exactNewton)
        solver.tolerance = .maxRelativeError(1e-6)
        let solution = solver.solve(problem, seed: 1)
        #expect(solution.hasConverged && solution.method == .exactNewton)
        #expect(solution.iterations <= 20, "\(solution.iterations) steps")
        #expect(solution.evaluation.sampleCount == 0 && solution.maxRelativeError <= 1e-6)
        let check = try CellErrorEstimate.measure(problem: problem, heights: solution.heights, pointCount: 1 << 20, seed: 77,
                                                  sampling: .independentRandom)
        #expect(check.rawRmsRelativeError < 1.5 * check.noiseFloor, "\(check.rawRmsRelativeError) vs noise \(check.noiseFloor)")
        // No sampling: the seed does not matter.
        #expect(solver.solve(problem, seed: 2).heights == solution.heights)
    }

    /// Targets far outside the square (the plain Voronoi start leaves most cells empty) still converge,
    /// from the scaled Voronoi start.
    @Test func targetsOutsideTheSquare() throws {
        let targets = TestProblems.eightGaussians(count: 64, seed: 4).map { $0 * 3 }
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2, source: .uniformBox(halfWidth: 0.5))
        var solver = SemiDiscreteSolver()
        solver.tolerance = .rmsRelativeError(1e-6)
        let solution = solver.solve(problem, seed: 1)
        #expect(solution.method == .exactNewton && solution.hasConverged, "\(solution.stopReason), \(solution.rmsRelativeError)")
    }

    /// Elsewhere the method does not apply: the sampled Newton (or fixed set) runs instead.
    @Test func resolvesOnlyForPlanarSquareSources() throws {
        var solver = SemiDiscreteSolver()
        solver.method = .exactNewton
        let gaussian = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 10, dimension: 2, seed: 1), dimension: 2,
                                               source: .gaussian)
        let cube = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 10, dimension: 3, seed: 1), dimension: 3)
        let high = try SemiDiscreteProblem(targets: TestProblems.uniform(count: 10, dimension: 8, seed: 1), dimension: 8)
        #expect(solver.resolvedMethod(for: gaussian) == .newton)
        #expect(solver.resolvedMethod(for: cube) == .newton)
        #expect(solver.resolvedMethod(for: high) == .fixedSet)
        solver.method = .automatic
        let large = try SemiDiscreteProblem(targets: TestProblems.uniform(count: SemiDiscreteSolver.exactNewtonTargetLimit + 1,
                                                                          dimension: 2, seed: 1), dimension: 2)
        #expect(solver.resolvedMethod(for: large) == .newton)
    }
}
