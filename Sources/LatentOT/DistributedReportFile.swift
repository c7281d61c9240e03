import Foundation
import Transport

/// `report.json` of a distributed solve: `TransportReport`'s keys plus a `distributed` section.
public struct DistributedReportFile: Encodable {
    public var report: TransportReport
    public var distributed: Section

    public struct Section: Codable, Sendable {
        /// `K`, the MPI world size.
        public var ranks: Int
        /// Mean payload bytes per rank per step handed to MPI (assignment allreduce, folds, broadcasts).
        public var bytesPerStep: Double
        /// Bytes per source point of the assignment allreduce (MPI_FLOAT_INT under MPI_MAXLOC).
        public var assignmentBytesPerPoint: Int
        /// Payload bytes per rank during the solve, and during setup (normalisation, duplicate check).
        public var solveBytes: Int
        public var setupBytes: Int
        /// Wall-clock seconds per step on rank 0 (solve seconds / steps, the final evaluation included).
        public var secondsPerStep: Double
        /// Mean CPU seconds per step of each rank (all its threads): the compute, whatever else runs.
        public var cpuSecondsPerStepByRank: [Double]
        public var totalSeconds: Double
        public var targetsPerRank: [Int]
        public var partitionTile: Int
        public var mpiLibrary: String
    }

    private enum SectionKey: String, CodingKey { case distributed }

    /// The report's own keys, then `distributed`.
    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: SectionKey.self)
        try container.encode(distributed, forKey: .distributed)
    }
}
