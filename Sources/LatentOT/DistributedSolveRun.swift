import Foundation
import Transport
import DistributedTransport

/// One distributed solve as every rank runs it on its slice of the codes: the problem (normalised
/// collectively), the solve, the heights gathered on rank 0 and each rank's CPU time. Shared by
/// `transport solve --distributed` and `train --distributed`; runs on MPI ranks or on threads.
public struct DistributedSolveRun {
    public var problem: DistributedProblem
    public var solution: DistributedSolution
    /// All `M` heights on rank 0, nil on the others.
    public var heights: [Double]?
    /// Payload bytes of the setup (normalisation, duplicate check) on this rank.
    public var setupBytes: Int
    /// Mean CPU seconds per step of every rank (the same array on every rank).
    public var cpuByRank: [Double]

    /// - Parameters:
    ///   - slice: this rank's raw codes (`partition.localRange`, row-major); emptied once the
    ///     normalised targets exist, so the slice is not held twice during the solve.
    ///   - progress: called on every rank after every step.
    public init(slice: inout [Float], dimension: Int, partition: TargetPartition, weights: [Double]?,
                source: SourceDistribution, scaling: DistributedProblem.Scaling, solver: DistributedSolver, seed: UInt64,
                communicator: any Communicator, progress: ((DistributedProgress) -> Void)? = nil) throws {
        let setupStartBytes = communicator.bytesCommunicated
        problem = try DistributedProblem(codes: slice, dimension: dimension, partition: partition, weights: weights,
                                         source: source, scaling: scaling, communicator: communicator)
        slice = []
        setupBytes = communicator.bytesCommunicated - setupStartBytes
        solution = try solver.solve(problem, seed: seed, communicator: communicator, progress: progress)
        heights = try gatherHeights(solution.localHeights, partition: partition, communicator: communicator)
        var cpu = [Double](repeating: 0, count: communicator.size) // one rank per entry: an exact gather
        cpu[communicator.rank] = solution.cpuSecondsPerStep
        try cpu.withUnsafeMutableBufferPointer { try communicator.allreduce($0, .sum) }
        cpuByRank = cpu
    }

    /// `report.json`'s fields (the `TransportReport` keys plus the `distributed` section), and the
    /// `TransportReport` they make.
    /// - Parameter library: the message-passing library's version, for the report.
    public func report(settings: SemiDiscreteSolver, totalSeconds: Double,
                       library: String) -> (fields: DistributedReportFile, report: TransportReport) {
        let ranks = cpuByRank.count
        let evaluation = solution.evaluation
        let report = TransportReport(
            targetCount: problem.targetCount, dimension: problem.dimension, source: problem.source,
            method: settings.method.rawValue, methodUsed: SolverMethod.adam.rawValue, hasConverged: solution.hasConverged,
            stopReason: "\(solution.stopReason)", iterations: solution.iterations, solveSeconds: solution.seconds,
            maxRelativeError: evaluation.maxRelativeError, rmsRelativeError: evaluation.rmsRelativeError,
            meanRelativeError: evaluation.meanRelativeError, emptyCells: evaluation.emptyCells,
            noiseFloor: evaluation.noiseFloor, evaluationPointCount: evaluation.sampleCount,
            tolerance: settings.tolerance, normalization: problem.normalization, history: solution.history.map(\.record))
        let section = DistributedReportFile.Section(
            ranks: ranks, bytesPerStep: solution.bytesPerStep, assignmentBytesPerPoint: MemoryLayout<ScoreIndex>.stride,
            solveBytes: solution.bytesCommunicated, setupBytes: setupBytes,
            secondsPerStep: solution.iterations > 0 ? solution.seconds / Double(solution.iterations) : 0,
            cpuSecondsPerStepByRank: cpuByRank, totalSeconds: totalSeconds,
            targetsPerRank: (0..<ranks).map { problem.partition.range(of: $0).count },
            partitionTile: problem.partition.granularity, mpiLibrary: library)
        return (DistributedReportFile(report: report, distributed: section), report)
    }
}
