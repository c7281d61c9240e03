import Foundation
import TensorModule
import Transport

/// Adam on the heights of a semi-discrete problem whose targets are split across ranks: the
/// single-process `SemiDiscreteSolver` with `method = .adam` (its settings are this solver's
/// configuration), step for step and bit for bit, for any number of ranks `K`.
///
/// Per step, every rank
/// 1. draws the same `N` training points (the next block of the scrambled Sobol sequence derived
///    from the seed, as the single process);
/// 2. finds each point's best target among its own (`PowerCells` on its slice, with its heights),
///    and one MPI_MAXLOC allreduce of (score, global index) pairs gives the global winner
///    (`DistributedCells`), 8 bytes per point;
/// 3. counts the points of its own cells, and the cell error statistics (and the energy's
///    `Σ ν_i h_i`) are folded left to right across the ranks;
/// 4. takes a bias-corrected Adam step on its own heights, then centres them with the global mean
///    (another left-to-right fold).
/// The stall rule (learning-rate decay and point growth) and the stopping rule see the same numbers
/// on every rank, so every rank takes the same decisions; the time budget, the only input that
/// differs between ranks, is agreed on by an allreduce.
///
/// What is exact: the points (same sequence), the scores (tile-aligned slices, see
/// `TargetPartition`), the winners (MAXLOC selects, ties to the lowest index), the counts
/// (integers), the sums over targets (one left-to-right order, as one process), Adam (element-wise).
///
/// - Complexity: per step O(N·(M/K)·d) flops per rank; 8·N bytes of allreduce, plus two folds
///   of a few Doubles through the `K` ranks (latency O(K)).
public struct DistributedSolver: Sendable {
    /// The settings, as for the single-process solver. `method` must be `.adam`, `initialHeights`
    /// `.zero` or `.voronoi`, `evaluationSampling` `.scrambledSobol`.
    public var settings: SemiDiscreteSolver
    /// Source points per kernel call and allreduce (a multiple of 256, the kernel's point block).
    public var pointsPerBatch: Int = 1 << 14

    public init(settings: SemiDiscreteSolver) {
        self.settings = settings
    }

    /// Throws `TransportError` for out-of-range settings, `DistributedError.unsupported` for
    /// settings the distributed solver does not implement.
    public func validate() throws {
        try settings.validate()
        guard settings.method == .adam else {
            throw DistributedError.unsupported(field: "method", expected: "adam", found: settings.method.rawValue)
        }
        guard settings.initialHeights == .zero || settings.initialHeights == .voronoi else {
            throw DistributedError.unsupported(field: "initialHeights", expected: "zero or voronoi",
                                               found: settings.initialHeights.rawValue)
        }
        guard settings.evaluationSampling == .scrambledSobol else {
            throw DistributedError.unsupported(field: "evaluationSampling", expected: "scrambledSobol",
                                               found: settings.evaluationSampling.rawValue)
        }
        guard pointsPerBatch >= 256 && pointsPerBatch % 256 == 0 else {
            throw DistributedError.unsupported(field: "pointsPerBatch", expected: "a positive multiple of 256",
                                               found: "\(pointsPerBatch)")
        }
    }

    /// Solves collectively: every rank calls it with its own part of the problem, the same seed
    /// and the same settings. Returns this rank's heights.
    /// - Parameter initialHeights: a warm start, this rank's slice (centred globally first).
    public func solve(_ problem: DistributedProblem, seed: UInt64, communicator: any Communicator,
                      initialHeights: [Double]? = nil,
                      progress: ((DistributedProgress) -> Void)? = nil) throws -> DistributedSolution {
        try validate()
        let session = DistributedSession(problem: problem, solver: self, seed: seed, communicator: communicator,
                                         progress: progress)
        let start: [Double]
        if let initialHeights {
            precondition(initialHeights.count == problem.partition.localCount,
                         "DistributedSolver: \(initialHeights.count) initial heights for \(problem.partition.localCount) targets")
            var bad: Error? = nil
            if let i = initialHeights.firstIndex(where: { !$0.isFinite }) {
                bad = TransportError.invalidHeights(field: "initialHeights[\(problem.partition.offset + i)]",
                                                    expected: "finite values", found: "\(initialHeights[i])")
            }
            try communicator.agree(bad)
            start = try session.centred(initialHeights)
        } else if settings.initialHeights == .voronoi {
            start = try session.centred(InitialHeights.voronoiHeights(targets: problem.targets, dimension: problem.dimension))
        } else {
            start = [Double](repeating: 0, count: problem.partition.localCount)
        }
        // The single process's loop, with the sums over targets folded across the ranks by the session.
        let solveStartBytes = communicator.bytesCommunicated
        let outcome = try settings.adamIterations(session, start: start)
        return try session.finish(heights: outcome.heights, converged: outcome.hasConverged, stopReason: outcome.stopReason,
                                  steps: outcome.steps, pointsPerStep: outcome.pointsPerStep,
                                  learningRate: outcome.learningRate, startBytes: solveStartBytes)
    }
}

/// Gathers every rank's heights on `root` (in global order); nil on the other ranks.
public func gatherHeights(_ localHeights: [Double], partition: TargetPartition, communicator: any Communicator,
                          root: Int = 0) throws -> [Double]? {
    let tag = 7
    if communicator.rank != root {
        try localHeights.withUnsafeBufferPointer { try communicator.send($0, to: root, tag: tag) }
        return nil
    }
    var all = [Double](repeating: 0, count: partition.totalCount)
    for r in 0..<communicator.size {
        let range = partition.range(of: r)
        if r == root {
            all.replaceSubrange(range, with: localHeights)
        } else {
            try all.withUnsafeMutableBufferPointer { buffer in
                try communicator.receive(UnsafeMutableBufferPointer(rebasing: buffer[range]), from: r, tag: tag)
            }
        }
    }
    return all
}
