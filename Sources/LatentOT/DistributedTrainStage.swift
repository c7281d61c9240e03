import Foundation
import Transport
import DistributedTransport

/// The OT stage of `train --distributed` on any `Communicator` (MPI ranks, or threads in tests):
/// rank 0 runs the pipeline alone and, for the OT stage, instructs the waiting ranks (tag 20), sends
/// them the stage's settings (JSON, broadcast), the weights (broadcast) and each its slice of the
/// codes (one message each, 8 bytes per value); then every rank solves jointly, exactly as
/// `transport solve --distributed`, with the pipeline's normalisation (`matched`, so
/// normalization.json is the single process's too).
public enum DistributedTrainStage {
    /// Tags of the messages from rank 0 (the solver's own messages use tags below 10).
    static let instructionTag = 20, codesTag = 21

    public enum Instruction: Int, Sendable {
        /// Join an OT solve: the settings, weights and codes follow.
        case solve = 1
        /// Rank 0 has finished and written everything: finalise.
        case finished = 2
        /// Rank 0 failed: its message follows through `Communicator.agree`.
        case failed = 3
    }

    /// An instruction with the size of what follows.
    public struct Header: Sendable {
        public var instruction: Instruction
        var targetCount = 0
        var dimension = 0
        var hasWeights = false
        var settingsBytes = 0

        var values: [Double] {
            [Double(instruction.rawValue), Double(targetCount), Double(dimension), hasWeights ? 1 : 0, Double(settingsBytes)]
        }

        init(_ instruction: Instruction) { self.instruction = instruction }

        init(values: [Double]) throws {
            guard let instruction = Instruction(rawValue: Int(values[0])) else {
                throw LatentOTError.invalidValue(field: "instruction from rank 0", expected: "1, 2 or 3", found: "\(values[0])")
            }
            self.instruction = instruction
            targetCount = Int(values[1])
            dimension = Int(values[2])
            hasWeights = values[3] != 0
            settingsBytes = Int(values[4])
        }
    }

    /// What every rank needs to solve the stage as `TransportJob.run` would (sent as JSON).
    struct Settings: Codable {
        var solver: SemiDiscreteSolver
        var source: SourceDistribution
        var normalization: TransportJob.NormalizationRule
        var seed: UInt64

        var scaling: DistributedProblem.Scaling {
            normalization == .matched ? .rootMeanSquareCoordinate(TransportJob.matchedRootMeanSquare(for: source)) : .maximumCoordinate
        }
    }

    /// Rank 0 to every other rank.
    static func instruct(_ header: Header, world: any Communicator) throws {
        let values = header.values
        for rank in 1..<max(1, world.size) {
            try values.withUnsafeBufferPointer { try world.send($0, to: rank, tag: instructionTag) }
        }
    }

    /// Rank 0 tells every other rank to finish (`.finished`) or that it failed (`.failed`, then
    /// `Communicator.agree` with its error).
    public static func instruct(_ instruction: Instruction, world: any Communicator) throws {
        try instruct(Header(instruction), world: world)
    }

    /// Waits for rank 0's next instruction without spinning on a core (a blocking receive would).
    public static func waitForInstruction(world: any Communicator) throws -> Header {
        while try !world.hasMessage(from: 0, tag: instructionTag) { usleep(20_000) }
        var values = [Double](repeating: 0, count: Header(.finished).values.count)
        try values.withUnsafeMutableBufferPointer { try world.receive($0, from: 0, tag: instructionTag) }
        return try Header(values: values)
    }

    /// Rank 0's side: hands the stage to the other ranks, solves with them, and builds the solution
    /// and its report (with the `distributed` section) from the gathered heights.
    /// - Parameter progress: called after every step of the joint solve.
    public static func lead(job: TransportJob, codes: [Float], dimension: Int, weights: [Double]?, seed: UInt64,
                            world: any Communicator, library: String,
                            progress: ((DistributedProgress) -> Void)? = nil) throws -> TrainingPipeline.TransportStageResult {
        let started = Date()
        let count = codes.count / dimension
        var settings = [UInt8](try JSONCoding.encode(Settings(solver: job.solver, source: job.source,
                                                             normalization: job.normalization, seed: seed)))
        var header = Header(.solve)
        header.targetCount = count
        header.dimension = dimension
        header.hasWeights = weights != nil
        header.settingsBytes = settings.count
        try instruct(header, world: world)
        try settings.withUnsafeMutableBytes { try world.broadcast($0, root: 0) }
        var allWeights = weights ?? []
        if weights != nil { try world.broadcast(&allWeights, root: 0) }
        let partition = try TargetPartition(totalCount: count, rankCount: world.size, rank: 0)
        for rank in 1..<max(1, world.size) {
            let range = partition.range(of: rank)
            let values = codes[(range.lowerBound * dimension)..<(range.upperBound * dimension)].map(Double.init)
            try values.withUnsafeBufferPointer { try world.send($0, to: rank, tag: codesTag) }
        }
        var slice = Array(codes[(partition.localRange.lowerBound * dimension)..<(partition.localRange.upperBound * dimension)])
        let decoded = try JSONDecoder().decode(Settings.self, from: Data(settings)) // what the others use
        let run = try solve(slice: &slice, dimension: dimension, partition: partition, weights: weights, settings: decoded,
                            world: world, progress: progress)
        guard let heights = run.heights else { preconditionFailure("rank 0 holds the gathered heights") }
        let (fields, report) = run.report(settings: decoded.solver, totalSeconds: Date().timeIntervalSince(started),
                                          library: library)
        let solution = TransportSolutionFiles(codes: codes, dimension: dimension, weights: weights,
                                              normalization: run.problem.normalization, heights: heights, source: run.problem.source)
        return TrainingPipeline.TransportStageResult(solution: solution, report: report, reportFile: try JSONCoding.encode(fields))
    }

    /// The other ranks' side of a `.solve` instruction: receive the settings, the weights and this
    /// rank's codes, then solve.
    public static func follow(header: Header, world: any Communicator,
                              progress: ((DistributedProgress) -> Void)? = nil) throws {
        var settingsBytes = [UInt8](repeating: 0, count: header.settingsBytes)
        try settingsBytes.withUnsafeMutableBytes { try world.broadcast($0, root: 0) }
        var weights: [Double]? = nil
        if header.hasWeights {
            var all = [Double](repeating: 0, count: header.targetCount)
            try world.broadcast(&all, root: 0)
            weights = all
        }
        let partition = try TargetPartition(totalCount: header.targetCount, rankCount: world.size, rank: world.rank)
        var received = [Double](repeating: 0, count: partition.localCount * header.dimension)
        try received.withUnsafeMutableBufferPointer { try world.receive($0, from: 0, tag: codesTag) }
        var slice = received.map(Float.init) // exact: they were Floats
        received = []
        let settings = try JSONDecoder().decode(Settings.self, from: Data(settingsBytes))
        _ = try solve(slice: &slice, dimension: header.dimension, partition: partition, weights: weights, settings: settings,
                      world: world, progress: progress)
    }

    /// The other ranks' whole part of `train --distributed`: wait for rank 0's instructions and take
    /// part in each OT solve it starts, until it finishes (or fails: then its error is thrown).
    public static func followUntilFinished(world: any Communicator,
                                           progress: ((DistributedProgress) -> Void)? = nil) throws {
        while true {
            let header = try waitForInstruction(world: world)
            switch header.instruction {
            case .finished: return
            case .failed:
                try world.agree(nil) // throws rank 0's error
                return
            case .solve: try follow(header: header, world: world, progress: progress)
            }
        }
    }

    /// The joint part, on every rank.
    static func solve(slice: inout [Float], dimension: Int, partition: TargetPartition, weights: [Double]?, settings: Settings,
                      world: any Communicator, progress: ((DistributedProgress) -> Void)?) throws -> DistributedSolveRun {
        let solver = DistributedSolver(settings: settings.solver)
        try solver.validate()
        return try DistributedSolveRun(slice: &slice, dimension: dimension, partition: partition, weights: weights,
                                       source: settings.source, scaling: settings.scaling, solver: solver, seed: settings.seed,
                                       communicator: world, progress: progress)
    }
}
