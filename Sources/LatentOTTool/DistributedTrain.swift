import ArgumentParser
import Foundation
import TensorModule
import Datasets
import Transport
import LatentOT
#if canImport(DistributedTransport)
import DistributedTransport
import MPIWrapper
#endif

// `latentot train --distributed`: the model folder of `latentot train --method adam
// --initial-heights voronoi`, bit for bit, with the OT stage solved by every rank of an MPI job
// (docs/distributed.md).
//
// Rank 0 does everything that is not the OT solve, alone: it loads the data, trains (or resumes)
// the autoencoder, encodes, merges duplicate codes, writes every file, trains the VAE baseline and
// evaluates. Only rank 0 needs the data and the output folder. The other ranks wait for its
// instructions (tag 20, polled every 20 ms, so a waiting rank takes no CPU away from rank 0's
// training) and, for the OT stage, receive the stage's settings (JSON, broadcast), the weights
// (broadcast) and their own slice of the codes (one message each, 8 bytes per value), then solve
// with rank 0 exactly as `transport solve --distributed` does, with the pipeline's normalisation
// (`matched`, so normalization.json is the single process's too).
//
// Failures: an error on rank 0 while the others wait (bad --data, a failed write, the evaluation)
// is sent to them as the instruction `failed`, followed by `Communicator.agree`, so every rank
// prints `rank 0 failed: <message>` and exits with status 1. An error during the joint solve is
// found by every rank together (the solver agrees on its input checks), and a rank that dies ends
// the job through mpirun, as for `transport solve --distributed`.

#if canImport(DistributedTransport)

extension TrainCommand {
    func runDistributed() throws {
        let solver = DistributedSolver(settings: solverSettings)
        try solver.validate() // every rank, before MPI starts: a refused setting never starts the job
        try MPIJob.run { world in
            if world.rank == 0 { try leadTraining(world: world) } else { try followTraining(world: world) }
        }
    }

    /// Rank 0: the whole pipeline, with the OT stage handed to `DistributedTrainStage`.
    private func leadTraining(world: MPICommunicator) throws {
        let size = world.size
        var othersAreWaiting = true // false only while every rank is inside the joint solve
        do {
            try train(transportSolver: { job, codes, dimension, weights, seed in
                othersAreWaiting = false
                let result = try DistributedTrainStage.lead(job: job, codes: codes, dimension: dimension, weights: weights,
                                                            seed: seed, world: world)
                othersAreWaiting = true
                return result
            }, checkData: { train in
                // Merging duplicate codes only lowers M: refuse too many ranks before training.
                _ = try TargetPartition(totalCount: train.count, rankCount: size, rank: 0)
            })
        } catch let error as MPIError {
            throw error
        } catch {
            guard othersAreWaiting && size > 1 else { throw error } // in the joint solve every rank has the error
            try DistributedTrainStage.instruct(.failed, world: world)
            try world.agree(error) // throws DistributedError.rankFailed with this message, here and on every rank
            throw error
        }
        try DistributedTrainStage.instruct(.finished, world: world)
    }

    /// The other ranks: wait for rank 0's instructions and take part in each OT solve it starts.
    private func followTraining(world: MPICommunicator) throws {
        while true {
            let header = try DistributedTrainStage.waitForInstruction(world: world)
            switch header.instruction {
            case .finished: return
            case .failed:
                try world.agree(nil) // throws rank 0's error
                return
            case .solve: try DistributedTrainStage.follow(header: header, world: world)
            }
        }
    }
}

/// The OT stage of `train --distributed`: the messages from rank 0 and the joint solve.
enum DistributedTrainStage {
    /// Tags of the messages from rank 0 (the solver's own messages use tags below 10).
    static let instructionTag = 20, codesTag = 21

    enum Instruction: Int {
        /// Join an OT solve: the settings, weights and codes follow.
        case solve = 1
        /// Rank 0 has finished and written everything: finalise.
        case finished = 2
        /// Rank 0 failed: its message follows through `Communicator.agree`.
        case failed = 3
    }

    /// An instruction with the size of what follows.
    struct Header {
        var instruction: Instruction
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
    static func instruct(_ header: Header, world: MPICommunicator) throws {
        let values = header.values
        for rank in 1..<max(1, world.size) {
            try values.withUnsafeBufferPointer { try world.send($0, to: rank, tag: instructionTag) }
        }
    }

    static func instruct(_ instruction: Instruction, world: MPICommunicator) throws {
        try instruct(Header(instruction), world: world)
    }

    /// Waits for rank 0's next instruction without spinning on a core (a blocking receive would).
    static func waitForInstruction(world: MPICommunicator) throws -> Header {
        while try !world.hasMessage(from: 0, tag: instructionTag) { usleep(20_000) }
        var values = [Double](repeating: 0, count: Header(.finished).values.count)
        try values.withUnsafeMutableBufferPointer { try world.receive($0, from: 0, tag: instructionTag) }
        return try Header(values: values)
    }

    /// Rank 0's side: hands the stage to the other ranks, solves with them, and builds the solution
    /// and its report (with the `distributed` section) from the gathered heights.
    static func lead(job: TransportJob, codes: [Float], dimension: Int, weights: [Double]?, seed: UInt64,
                     world: MPICommunicator) throws -> TrainingPipeline.TransportStageResult {
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
        let run = try solve(slice: &slice, dimension: dimension, partition: partition, weights: weights, settings: decoded, world: world)
        guard let heights = run.heights else { preconditionFailure("rank 0 holds the gathered heights") }
        let (fields, report) = try run.report(settings: decoded.solver, totalSeconds: Date().timeIntervalSince(started))
        let solution = TransportSolutionFiles(codes: codes, dimension: dimension, weights: weights,
                                              normalization: run.problem.normalization, heights: heights, source: run.problem.source)
        return TrainingPipeline.TransportStageResult(solution: solution, report: report, reportFile: try JSONCoding.encode(fields))
    }

    /// The other ranks' side: receive the settings, the weights and this rank's codes, then solve.
    static func follow(header: Header, world: MPICommunicator) throws {
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
        _ = try solve(slice: &slice, dimension: header.dimension, partition: partition, weights: weights, settings: settings, world: world)
    }

    /// The joint part, on every rank.
    static func solve(slice: inout [Float], dimension: Int, partition: TargetPartition, weights: [Double]?, settings: Settings,
                      world: MPICommunicator) throws -> DistributedSolveRun {
        let solver = DistributedSolver(settings: settings.solver)
        try solver.validate()
        let total = settings.solver.maxIterations
        let bar = world.rank == 0
            ? ProgressReporter("transport M=\(partition.totalCount) d=\(dimension) on \(world.size) ranks", total: total, unit: "step",
                               budget: settings.solver.timeBudget, totalIsLimit: true) : nil
        return try DistributedSolveRun(slice: &slice, dimension: dimension, partition: partition, weights: weights,
                                       source: settings.source, scaling: settings.scaling, solver: solver, seed: settings.seed,
                                       world: world) { progress in
            let error = progress.latestEvaluation.map { String(format: "rms %.3f max %.3f", $0.rmsRelativeError, $0.maxRelativeError) } ?? ""
            bar?.update(progress.isFinal ? total : progress.record.step, status: error)
        }
    }
}

#endif
