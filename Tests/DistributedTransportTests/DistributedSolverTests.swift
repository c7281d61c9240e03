import Testing
import TensorModule
import Transport

import DistributedTransport

/// The distributed solver on threads (`ThreadGroupCommunicator`, no mpirun): K = 1, 2, 3 against
/// the single-process `SemiDiscreteSolver` with `method = .adam`, bit for bit.
@Suite struct DistributedSolverTests {
    static let dimension = 4
    static let targetCount = 1200 // three kernel tiles: 512 + 512 + 176

    static func codes(count: Int = targetCount, dimension: Int = dimension, seed: UInt64 = 11) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        // Clustered codes (two blobs of different spread), away from the origin: a non-trivial problem.
        return (0..<count).flatMap { i -> [Float] in
            let centre: Float = i % 3 == 0 ? 2 : -1, spread: Float = i % 3 == 0 ? 0.3 : 0.8
            return (0..<dimension).map { _ in centre + spread * Float(generator.nextGaussian()) + 5 }
        }
    }

    static func settings(maxIterations: Int = 45) -> SemiDiscreteSolver {
        var solver = SemiDiscreteSolver()
        solver.method = .adam
        solver.initialHeights = .voronoi
        solver.pointsPerStep = 4096
        solver.maximumPointsPerStep = 1 << 15
        solver.growthPatience = 10
        solver.maxIterations = maxIterations
        solver.evaluationPointCount = 1 << 14
        solver.evaluationInterval = 15
        solver.tolerance = .rmsRelativeError(0.01)
        solver.learningRate = 0.02
        return solver
    }

    struct Outcome: Sendable {
        var heights: [Double]
        var history: [DistributedRecord]
        var evaluation: CellErrorEstimate
        var stopReason: StopReason
        var normalization: CodeNormalization
        var spread: Double
    }

    static func distributed(ranks: Int, codes: [Float], weights: [Double]? = nil, settings: SemiDiscreteSolver,
                            seed: UInt64 = 5, scaling: DistributedProblem.Scaling = .maximumCoordinate) throws -> Outcome {
        let m = codes.count / dimension
        let results = ThreadGroupCommunicator.run(size: ranks) { communicator -> Outcome? in
            let partition = try TargetPartition(totalCount: m, rankCount: ranks, rank: communicator.rank)
            let slice = Array(codes[(partition.offset * dimension)..<(partition.localRange.upperBound * dimension)])
            let problem = try DistributedProblem(codes: slice, dimension: dimension, partition: partition, weights: weights,
                                                 source: .uniformBox(halfWidth: 1), scaling: scaling, communicator: communicator)
            let solution = try DistributedSolver(settings: settings).solve(problem, seed: seed, communicator: communicator)
            let all = try gatherHeights(solution.localHeights, partition: partition, communicator: communicator)
            return all.map {
                Outcome(heights: $0, history: solution.history, evaluation: solution.evaluation, stopReason: solution.stopReason,
                        normalization: problem.normalization, spread: problem.targetSpread)
            }
        }
        return try results[0].get()!
    }

    @Test func problemMatchesOneProcess() throws {
        let codes = Self.codes()
        let normalization = try CodeNormalization(fitting: codes, dimension: Self.dimension)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(codes), dimension: Self.dimension)
        for ranks in 1...3 {
            let outcome = try Self.distributed(ranks: ranks, codes: codes, settings: Self.settings(maxIterations: 0))
            #expect(outcome.normalization == normalization, "K = \(ranks)")
            #expect(outcome.spread.bitPattern == problem.targetSpread.bitPattern, "K = \(ranks)")
        }
    }

    /// The scale of `latentot train` (LatentOT's `TransportJob` rule `matched`: the RMS centred
    /// coordinate becomes the box's, 1/√3), its one-process loop written out here.
    @Test func rootMeanSquareScalingMatchesOneProcess() throws {
        let codes = Self.codes(), d = Self.dimension
        let fitted = try CodeNormalization(fitting: codes, dimension: d)
        var squares = 0.0
        for i in 0..<(codes.count / d) {
            for j in 0..<d {
                let centred = Double(codes[i * d + j]) - fitted.centre[j]
                squares += centred * centred
            }
        }
        let target = 1 / 3.0.squareRoot()
        let normalization = CodeNormalization(centre: fitted.centre, scale: (squares / Double(codes.count)).squareRoot() / target)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(codes), dimension: d)
        for ranks in 1...3 {
            let outcome = try Self.distributed(ranks: ranks, codes: codes, settings: Self.settings(maxIterations: 0),
                                               scaling: .rootMeanSquareCoordinate(target))
            #expect(outcome.normalization.centre.map(\.bitPattern) == normalization.centre.map(\.bitPattern), "K = \(ranks)")
            #expect(outcome.normalization.scale.bitPattern == normalization.scale.bitPattern, "K = \(ranks)")
            #expect(outcome.spread.bitPattern == problem.targetSpread.bitPattern, "K = \(ranks)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func heightsMatchOneProcessAdam(ranks: Int) throws {
        let codes = Self.codes()
        let normalization = try CodeNormalization(fitting: codes, dimension: Self.dimension)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(codes), dimension: Self.dimension)
        let reference = Self.settings().solve(problem, seed: 5)
        let outcome = try Self.distributed(ranks: ranks, codes: codes, settings: Self.settings())

        #expect(outcome.history.count == reference.history.count)
        #expect(outcome.stopReason == reference.stopReason)
        let differing = zip(outcome.heights, reference.heights).filter { $0.bitPattern != $1.bitPattern }.count
        let largest = zip(outcome.heights, reference.heights).map { abs($0 - $1) }.max() ?? 0
        #expect(differing == 0, "K = \(ranks): \(differing) of \(outcome.heights.count) heights differ, by up to \(largest)")
        for (a, b) in zip(outcome.history.map(\.record), reference.history) {
            #expect(a.energy.bitPattern == b.energy.bitPattern && a.rmsRelativeError.bitPattern == b.rmsRelativeError.bitPattern
                    && a.maxRelativeError == b.maxRelativeError && a.emptyCells == b.emptyCells
                    && a.pointsPerStep == b.pointsPerStep && a.learningRate == b.learningRate
                    && a.evaluation == b.evaluation, "K = \(ranks), step \(a.step)")
        }
        #expect(outcome.evaluation == reference.evaluation)
    }

    /// A solve that ends on the pre-screen (a step's own counts, precise enough here: noise floor
    /// below half the tolerance, or the window's pooled counts) and the evaluation it triggers: the
    /// path where the copied loop of old differed from the single process's.
    @Test(arguments: [1, 3])
    func preciseStepsEndTheSolveAsInOneProcess(ranks: Int) throws {
        let codes = Self.codes()
        var settings = Self.settings(maxIterations: 200)
        settings.pointsPerStep = 1 << 15        // noise floor √(1200/2^15) ≈ 0.19 ≤ 0.4 / 2
        settings.maximumPointsPerStep = 1 << 15
        settings.growthPatience = 3
        settings.evaluationInterval = 0
        settings.tolerance = .rmsRelativeError(0.4)
        let normalization = try CodeNormalization(fitting: codes, dimension: Self.dimension)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(codes), dimension: Self.dimension)
        let reference = settings.solve(problem, seed: 5)
        try #require(reference.stopReason == .toleranceReached, "\(reference.history.count) steps")
        try #require(reference.history.count < 60)
        let outcome = try Self.distributed(ranks: ranks, codes: codes, settings: settings)
        #expect(outcome.stopReason == .toleranceReached)
        #expect(outcome.history.count == reference.history.count)
        #expect(outcome.heights.map(\.bitPattern) == reference.heights.map(\.bitPattern))
    }

    @Test func weightedProblemMatchesAcrossRanks() throws {
        let codes = Self.codes(count: 1100)
        var generator = SeededGenerator(seed: 9)
        let raw = (0..<1100).map { _ in 0.5 + generator.nextUnitDouble() }
        let total = raw.reduce(0, +)
        let weights = raw.map { $0 / total }
        let one = try Self.distributed(ranks: 1, codes: codes, weights: weights, settings: Self.settings(maxIterations: 20))
        let three = try Self.distributed(ranks: 3, codes: codes, weights: weights, settings: Self.settings(maxIterations: 20))
        #expect(one.heights.map(\.bitPattern) == three.heights.map(\.bitPattern))
    }

    @Test func repeatedRowsAreRefusedOnEveryRank() throws {
        var edited = Self.codes()
        let (i, j) = (100, 1000) // on ranks 0 and 1 of 2
        for c in 0..<Self.dimension { edited[j * Self.dimension + c] = edited[i * Self.dimension + c] }
        let codes = edited
        let results = ThreadGroupCommunicator.run(size: 2) { communicator in
            let partition = try TargetPartition(totalCount: Self.targetCount, rankCount: 2, rank: communicator.rank)
            let slice = Array(codes[(partition.offset * Self.dimension)..<(partition.localRange.upperBound * Self.dimension)])
            _ = try DistributedProblem(codes: slice, dimension: Self.dimension, partition: partition, weights: nil,
                                       source: .uniformBox(halfWidth: 1), communicator: communicator)
        }
        for result in results {
            #expect(throws: TransportError.invalidTargets(field: "targets", expected: "distinct target points",
                                                          found: "rows 100 and 1000 are equal")) { try result.get() }
        }
    }

    @Test func badCodesOnOneRankStopEveryRank() throws {
        var edited = Self.codes()
        edited[1100 * Self.dimension + 2] = .nan // rank 1 of 2
        let codes = edited
        let results = ThreadGroupCommunicator.run(size: 2) { communicator in
            let partition = try TargetPartition(totalCount: Self.targetCount, rankCount: 2, rank: communicator.rank)
            let slice = Array(codes[(partition.offset * Self.dimension)..<(partition.localRange.upperBound * Self.dimension)])
            _ = try DistributedProblem(codes: slice, dimension: Self.dimension, partition: partition, weights: nil,
                                       source: .uniformBox(halfWidth: 1), communicator: communicator)
        }
        for result in results {
            #expect(throws: DistributedError.rankFailed(
                rank: 1, message: "invalid targets: codes[1100][2]: expected finite values, found nan (hint: check the encoder output or the file for NaN/Inf)")) { try result.get() }
        }
    }

    @Test func unsupportedSettingsAreNamed() throws {
        var settings = Self.settings()
        settings.method = .newton
        #expect(throws: DistributedError.unsupported(field: "method", expected: "adam", found: "newton")) {
            try DistributedSolver(settings: settings).validate()
        }
        settings.method = .adam
        settings.initialHeights = .multiscale
        #expect(throws: DistributedError.unsupported(field: "initialHeights", expected: "zero or voronoi", found: "multiscale")) {
            try DistributedSolver(settings: settings).validate()
        }
    }
}
