import Testing
import TensorModule
import Transport

/// Cases whose solution is known in closed form or by symmetry.
@Suite struct SolverKnownAnswerTests {
    /// Source uniform on [-1, 1], targets y₁ = -1, y₂ = +1 with weights (0.3, 0.7). Scores -x + h₁
    /// and x + h₂ cross at x* = (h₁ - h₂)/2; cell 1 = [-1, x*] has mass (x* + 1)/2 = 0.3, so
    /// x* = -0.4 and h₁ - h₂ = -0.8.
    ///
    /// Tolerance: the solve stops at a maximum relative cell error of 0.002 measured on 2^18 fresh
    /// points (scrambled Sobol in 1-D: counting error far below 1e-4). A mass error δm moves x* by
    /// 2δm and the height difference by 4δm ≤ 4 · (0.002 · 0.3 + 1e-4) < 0.003; 0.005 leaves room.
    @Test func twoTargetsInOneDimensionSplitAtMinusPointFour() throws {
        let problem = try SemiDiscreteProblem(targets: [-1, 1], dimension: 1, weights: [0.3, 0.7])
        var solver = SemiDiscreteSolver()
        solver.tolerance = .maxRelativeError(0.002)
        let solution = solver.solve(problem, seed: 1)
        #expect(solution.hasConverged)
        #expect(solution.stopReason == .toleranceReached)
        let difference = solution.heights[0] - solution.heights[1]
        #expect(abs(difference - -0.8) < 0.005, "h1 - h2 = \(difference)")
        #expect(abs(solution.heights[0] + solution.heights[1]) < 1e-12, "heights are centred")
    }

    /// Eight targets with the symmetry of the square source (an orbit on the axes and one on the
    /// diagonals): each orbit must share one height, and every cell gets 1/8.
    /// Tolerance: solved to a noise-corrected RMS relative error of 0.01 and a maximum of 0.03 on
    /// 2^18 points (1/8 each: counting noise ~0.5 %). A cell's mass responds to its height at
    /// `D = Σ facet mass / |y_i - y_j|` ≈ 4 facets × (1/4 density × 0.6 length / 0.45) ≈ 1.3, so a
    /// 3 % error of 1/8 is a height error of about 0.003; two heights of an orbit agree within 0.01.
    @Test func symmetricTargetsGetEqualCells() throws {
        let a: Float = 0.6, b: Float = 0.3
        let targets: [Float] = [a, 0, -a, 0, 0, a, 0, -a, b, b, -b, b, b, -b, -b, -b]
        let problem = try SemiDiscreteProblem(targets: targets, dimension: 2)
        var solver = SemiDiscreteSolver()
        solver.tolerance = Tolerance(maxRelativeError: 0.03, rmsRelativeError: 0.01)
        let solution = solver.solve(problem, seed: 3)
        #expect(solution.hasConverged)
        let axis = solution.heights[0..<4], diagonal = solution.heights[4..<8]
        #expect(axis.max()! - axis.min()! < 0.01, "axis orbit heights \(Array(axis))")
        #expect(diagonal.max()! - diagonal.min()! < 0.01, "diagonal orbit heights \(Array(diagonal))")
        let check = try CellErrorEstimate.measure(problem: problem, heights: solution.heights, pointCount: 1 << 18,
                                                  seed: 99)
        #expect(check.maxRelativeError < 0.05)
    }

    /// Symmetric targets need no change from the Voronoi start: the heights stay equal.
    @Test func fourCornersStayAtEqualHeights() throws {
        let problem = try SemiDiscreteProblem(targets: [0.5, 0.5, -0.5, 0.5, 0.5, -0.5, -0.5, -0.5], dimension: 2)
        let solution = SemiDiscreteSolver().solve(problem, seed: 2)
        #expect(solution.hasConverged)
        #expect(solution.heights.allSatisfy { abs($0) < 1e-3 }, "\(solution.heights)")
    }
}
