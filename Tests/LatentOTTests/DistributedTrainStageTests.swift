import Testing
import Foundation
import TensorModule
import Transport
import DistributedTransport
import LatentOT

/// The OT stage of `train --distributed` on threads (no MPI needed): the heights and normalisation of
/// the single-process `TransportJob`, bit for bit, for 1 to 3 ranks; a failure of rank 0 reaches
/// every waiting rank.
@Suite struct DistributedTrainStageTests {
    static let dimension = 4

    static func codes(count: Int = 1100) -> [Float] {
        var generator = SeededGenerator(seed: 21)
        return (0..<(count * dimension)).map { i in Float(generator.nextUnitDouble() * 2 - 1) * (i % 4 == 0 ? 3 : 1) }
    }

    static var job: TransportJob {
        var solver = SemiDiscreteSolver()
        solver.method = .adam
        solver.initialHeights = .voronoi
        solver.maxIterations = 30
        solver.pointsPerStep = 4096
        solver.evaluationPointCount = 1 << 14
        solver.growthPatience = 5
        solver.learningRate = 0.02
        return TransportJob(solver: solver, normalization: .matched)
    }

    @Test(arguments: [1, 2, 3])
    func stageMatchesOneProcess(ranks: Int) throws {
        let codes = Self.codes(), d = Self.dimension
        let reference = try Self.job.run(codes: codes, dimension: d, weights: nil, seed: 4)
        let results = ThreadGroupCommunicator.run(size: ranks) { world -> TrainingPipeline.TransportStageResult? in
            if world.rank != 0 {
                try DistributedTrainStage.followUntilFinished(world: world)
                return nil
            }
            let result = try DistributedTrainStage.lead(job: Self.job, codes: codes, dimension: d, weights: nil, seed: 4,
                                                        world: world, library: "threads")
            try DistributedTrainStage.instruct(.finished, world: world)
            return result
        }
        for r in 1..<ranks { #expect(try results[r].get() == nil) }
        let stage = try #require(try results[0].get())
        #expect(stage.solution.heights.map(\.bitPattern) == reference.solution.heights.map(\.bitPattern), "K = \(ranks)")
        #expect(stage.solution.normalization == reference.solution.normalization)
        #expect(stage.report.iterations == reference.report.iterations)
        #expect(stage.report.history.map(\.energy.bitPattern) == reference.report.history.map(\.energy.bitPattern))
        // report.json carries the report's keys and the distributed section.
        let fields = try JSONSerialization.jsonObject(with: try #require(stage.reportFile)) as? [String: Any]
        #expect(stage.report.rmsRelativeError.bitPattern == reference.report.rmsRelativeError.bitPattern)
        #expect(abs((fields?["rmsRelativeError"] as? Double ?? -1) - reference.report.rmsRelativeError) < 1e-12)
        #expect((fields?["distributed"] as? [String: Any])?["ranks"] as? Int == ranks)
    }

    @Test func aFailureOfRankZeroReachesEveryRank() throws {
        let results = ThreadGroupCommunicator.run(size: 3) { world -> Bool in
            if world.rank != 0 {
                try DistributedTrainStage.followUntilFinished(world: world)
                return true
            }
            let failure = LatentOTError.invalidValue(field: "--data", expected: "a dataset", found: "nothing")
            try DistributedTrainStage.instruct(.failed, world: world)
            try world.agree(failure)
            return true
        }
        for result in results {
            #expect(throws: DistributedError.self) { try result.get() }
            if case .failure(let error) = result { #expect("\(error)".contains("--data")) }
        }
    }
}
