import ArgumentParser
import Foundation
import TensorModule
import Datasets
import Transport
import LatentOT
import DistributedTransport
#if canImport(MPIWrapper)
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

#if canImport(MPIWrapper)

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
                let total = job.solver.maxIterations
                let bar = ProgressReporter("transport M=\(codes.count / dimension) d=\(dimension) on \(size) ranks", total: total,
                                           unit: "step", budget: job.solver.timeBudget, totalIsLimit: true)
                let result = try DistributedTrainStage.lead(job: job, codes: codes, dimension: dimension, weights: weights,
                                                            seed: seed, world: world, library: MPIEnvironment.libraryVersion,
                                                            progress: MPIJob.stepHook(rank: 0, size: size, bar: bar, total: total))
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
        try DistributedTrainStage.followUntilFinished(
            world: world, progress: MPIJob.stepHook(rank: world.rank, size: world.size, bar: nil, total: 0))
    }
}

#endif
