import Foundation
import Transport

/// One step of a distributed solve: the single process's `SolverRecord` (equal on every rank except
/// `seconds`) and what the step cost this rank.
public struct DistributedRecord: Sendable, Equatable {
    public var record: SolverRecord
    /// Payload bytes this rank passed to collectives and messages during the step (evaluation included).
    public var bytesCommunicated: Int
    /// CPU seconds of this rank's process (all its threads) during the step: the compute cost,
    /// unaffected by other load on the machine, unlike `seconds`.
    public var cpuSeconds: Double

    public init(record: SolverRecord, bytesCommunicated: Int, cpuSeconds: Double) {
        self.record = record
        self.bytesCommunicated = bytesCommunicated
        self.cpuSeconds = cpuSeconds
    }
}

/// What the distributed solver reports to its progress closure after every step (on every rank).
public struct DistributedProgress: Sendable {
    public var record: DistributedRecord
    public var latestEvaluation: CellErrorEstimate?
    public var maxIterations: Int
    public var isFinal: Bool
}

/// The result of a distributed solve on one rank: its own heights and everything needed to judge
/// them (the same on every rank, except the timings).
public struct DistributedSolution: Sendable {
    /// This rank's centred heights (global indices `partition.localRange`).
    public var localHeights: [Double]
    public var hasConverged: Bool
    public var stopReason: StopReason
    public var iterations: Int
    public var seconds: Double
    /// The final estimate on fresh evaluation points.
    public var evaluation: CellErrorEstimate
    public var finalPointsPerStep: Int
    public var finalLearningRate: Double
    public var history: [DistributedRecord]
    /// Payload bytes this rank passed to MPI during the solve (setup excluded).
    public var bytesCommunicated: Int

    /// The mean of `bytesCommunicated` over the steps (each step's assignment reduction, statistics
    /// folds and centring; evaluations included where they happened).
    public var bytesPerStep: Double {
        history.isEmpty ? 0 : Double(history.reduce(0) { $0 + $1.bytesCommunicated }) / Double(history.count)
    }

    /// The mean CPU seconds of this rank per step (each step's kernel, reductions and update).
    public var cpuSecondsPerStep: Double {
        history.isEmpty ? 0 : history.reduce(0) { $0 + $1.cpuSeconds } / Double(history.count)
    }
}

/// CPU seconds used by this process so far, all threads (`CLOCK_PROCESS_CPUTIME_ID`).
public func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
