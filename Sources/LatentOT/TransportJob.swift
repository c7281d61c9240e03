import Foundation
import TensorModule
import Transport

/// Solves the semi-discrete OT problem from a simple source to user codes: normalise the codes into
/// the source box, solve for the heights, and package the solution with its report.
public struct TransportJob {
    public var solver: SemiDiscreteSolver
    public var source: SourceDistribution

    public init(solver: SemiDiscreteSolver, source: SourceDistribution = .uniformBox(halfWidth: 1)) {
        self.solver = solver
        self.source = source
    }

    /// - Parameters:
    ///   - codes: flat row-major M×d.
    ///   - weights: ν (nil = uniform).
    ///   - initialHeights: a warm start (e.g. an earlier solution's heights).
    public func run(codes: [Float], dimension: Int, weights: [Double]?, seed: UInt64, initialHeights: [Double]? = nil,
                    progress: ((SolverProgress) -> Void)? = nil) throws -> (solution: TransportSolutionFiles, report: TransportReport) {
        try solver.validate()
        try source.validate()
        let normalization = try CodeNormalization(fitting: codes, dimension: dimension, halfWidth: 1)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(codes), dimension: dimension, weights: weights, source: source)
        let result: SemiDiscreteSolution
        if let initialHeights {
            result = try solver.solve(problem, seed: seed, initialHeights: initialHeights, progress: progress)
        } else {
            result = solver.solve(problem, seed: seed, progress: progress)
        }
        let files = TransportSolutionFiles(codes: codes, dimension: dimension, weights: weights, normalization: normalization,
                                           heights: result.heights, source: source)
        let report = TransportReport(
            targetCount: problem.targetCount, dimension: dimension, source: source, method: solver.method.rawValue,
            hasConverged: result.hasConverged, stopReason: "\(result.stopReason)", iterations: result.iterations,
            solveSeconds: result.seconds, maxRelativeError: result.maxRelativeError, rmsRelativeError: result.rmsRelativeError,
            meanRelativeError: result.meanRelativeError, emptyCells: result.evaluation.emptyCells,
            noiseFloor: result.evaluation.noiseFloor, evaluationPointCount: result.evaluation.sampleCount,
            tolerance: solver.tolerance, normalization: normalization, history: result.history)
        return (files, report)
    }
}
