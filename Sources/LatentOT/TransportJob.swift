import Foundation
import TensorModule
import Transport

/// Solves the semi-discrete OT problem from a simple source to user codes: normalise the codes into
/// the source box, solve for the heights, and package the solution with its report.
public struct TransportJob {
    public var solver: SemiDiscreteSolver
    public var source: SourceDistribution
    public var normalization: NormalizationRule

    /// How codes are centred and scaled before the solve (one scale for all coordinates, so the
    /// geometry of the codes is kept).
    public enum NormalizationRule: String, Codable, Sendable, CaseIterable {
        /// The root-mean-square coordinate of the codes equals the source's (1/√3 for the box
        /// [-1,1]^d, 1 for the Gaussian): the codes fill the source the way its mass does, so the
        /// Voronoi start is near the solution even in high dimension.
        case matched
        /// The largest absolute coordinate equals the box half-width: every code inside the box
        /// (in high dimension most of the source mass then lies far outside the codes' bulk).
        case maximum
    }

    public init(solver: SemiDiscreteSolver, source: SourceDistribution = .uniformBox(halfWidth: 1),
                normalization: NormalizationRule = .matched) {
        self.solver = solver
        self.source = source
        self.normalization = normalization
    }

    /// The affine normalisation of `codes` under `rule`.
    public static func normalization(of codes: [Float], dimension: Int, source: SourceDistribution,
                                     rule: NormalizationRule) throws -> CodeNormalization {
        let fitted = try CodeNormalization(fitting: codes, dimension: dimension, halfWidth: 1)
        guard rule == .matched else { return fitted }
        let count = codes.count / dimension
        var squares = 0.0
        for i in 0..<count {
            for j in 0..<dimension {
                let centred = Double(codes[i * dimension + j]) - fitted.centre[j]
                squares += centred * centred
            }
        }
        let rms = (squares / Double(codes.count)).squareRoot()
        guard rms > 0 && rms.isFinite else { return fitted }
        return CodeNormalization(centre: fitted.centre, scale: rms / matchedRootMeanSquare(for: source))
    }

    /// The root-mean-square coordinate of `source` (1/√3 of the half-width for the box, 1 for the
    /// Gaussian): what `.matched` scales the codes' RMS centred coordinate to.
    public static func matchedRootMeanSquare(for source: SourceDistribution) -> Double {
        switch source {
        case .uniformBox(let halfWidth): return halfWidth / 3.0.squareRoot()
        case .gaussian: return 1
        }
    }

    /// - Parameters:
    ///   - codes: flat row-major M×d.
    ///   - weights: ν (nil = uniform).
    ///   - initialHeights: a warm start (e.g. an earlier solution's heights).
    public func run(codes: [Float], dimension: Int, weights: [Double]?, seed: UInt64, initialHeights: [Double]? = nil,
                    progress: ((SolverProgress) -> Void)? = nil) throws -> (solution: TransportSolutionFiles, report: TransportReport) {
        try solver.validate()
        try source.validate()
        let normalization = try Self.normalization(of: codes, dimension: dimension, source: source, rule: self.normalization)
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
            methodUsed: result.method.rawValue, hasConverged: result.hasConverged, stopReason: "\(result.stopReason)", iterations: result.iterations,
            solveSeconds: result.seconds, maxRelativeError: result.maxRelativeError, rmsRelativeError: result.rmsRelativeError,
            meanRelativeError: result.meanRelativeError, emptyCells: result.evaluation.emptyCells,
            noiseFloor: result.evaluation.noiseFloor, evaluationPointCount: result.evaluation.sampleCount,
            tolerance: solver.tolerance, normalization: normalization, history: result.history)
        return (files, report)
    }
}
