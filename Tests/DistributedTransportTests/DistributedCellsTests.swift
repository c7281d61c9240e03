import Testing
import TensorModule
import Transport

import DistributedTransport

/// The reduced kernel against one process holding every target: same winners, same scores, bit for bit.
@Suite struct DistributedCellsTests {
    static func randomTargets(count: Int, dimension: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<(count * dimension)).map { _ in Float(generator.nextGaussian()) }
    }

    static func randomHeights(count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(generator.nextGaussian() * 0.3) }
    }

    /// Slices of whole kernel tiles (512 targets): bit for bit, at any d. With d ≤ 2 (scores computed
    /// in registers, lane by lane) any slicing is exact; the last case checks that with tiles of 16.
    @Test(arguments: [(1200, 4, 2, 512), (1200, 4, 3, 512), (2100, 16, 2, 512), (2048, 64, 3, 512), (2600, 64, 5, 512),
                      (1000, 2, 3, 16)])
    func bestMatchesOneProcess(targetCount: Int, dimension: Int, ranks: Int, granularity: Int) throws {
        let targets = Self.randomTargets(count: targetCount, dimension: dimension, seed: 1)
        let heights = Self.randomHeights(count: targetCount, seed: 2)
        let pointCount = 1000
        let points = SourceDistribution.uniformBox(halfWidth: 1)
            .points(start: 0, count: pointCount, dimension: dimension, sequence: SobolSequence(dimension: dimension, scrambleSeed: 3))
        let reference = PowerCells(targets: targets, dimension: dimension).assign(points: points, heights: heights)

        let results = ThreadGroupCommunicator.run(size: ranks) { communicator in
            let partition = try TargetPartition(totalCount: targetCount, rankCount: ranks, rank: communicator.rank,
                                                granularity: granularity)
            let slice = Array(targets[(partition.offset * dimension)..<(partition.localRange.upperBound * dimension)])
            let cells = DistributedCells(targets: slice, dimension: dimension, partition: partition, communicator: communicator)
            var result = [ScoreIndex](repeating: .none, count: pointCount)
            var best = [Int32](repeating: 0, count: pointCount), score = [Float](repeating: 0, count: pointCount)
            try points.withUnsafeBufferPointer { p in
                try cells.assignBest(points: p.baseAddress!, count: pointCount, heights: Array(heights[partition.localRange]),
                                     result: &result, localBest: &best, localScore: &score)
            }
            let topTwo = try points.withUnsafeBufferPointer { p in
                try cells.assignTopTwo(points: p.baseAddress!, count: pointCount, heights: Array(heights[partition.localRange]))
            }
            return (result, topTwo)
        }
        let referenceTopTwo = PowerCells(targets: targets, dimension: dimension).topK(points: points, heights: heights, k: 2)
        for result in results {
            let (best, topTwo) = try result.get()
            var mismatches = 0
            for p in 0..<pointCount where best[p].index != reference.best[p] || best[p].score.bitPattern != reference.bestScore[p].bitPattern {
                mismatches += 1
            }
            #expect(mismatches == 0, "\(mismatches) of \(pointCount) points differ from one process (M=\(targetCount), d=\(dimension), K=\(ranks))")
            var topTwoMismatches = 0
            for p in 0..<pointCount {
                let expected = (referenceTopTwo.indices[2 * p], referenceTopTwo.scores[2 * p].bitPattern,
                                referenceTopTwo.indices[2 * p + 1], referenceTopTwo.scores[2 * p + 1].bitPattern)
                let found = (topTwo[p].best, topTwo[p].bestScore.bitPattern, topTwo[p].second, topTwo[p].secondScore.bitPattern)
                if expected != found { topTwoMismatches += 1 }
            }
            #expect(topTwoMismatches == 0, "top two: \(topTwoMismatches) of \(pointCount) points differ (M=\(targetCount), d=\(dimension), K=\(ranks))")
        }
    }
}
