import Testing
import TensorModule
import Transport

@Suite struct CandidateListsTests {
    /// Brute-force cell counts of points `0..<count` of `sequence` at `heights`.
    func bruteForceCounts(_ cells: PowerCells, source: SourceDistribution, sequence: SobolSequence, count: Int,
                          heights: [Double]) -> [Int] {
        let points = source.points(start: 0, count: count, dimension: cells.dimension, sequence: sequence)
        let assignment = cells.assign(points: points, heights: heights.map { Float($0) })
        var counts = [Int](repeating: 0, count: cells.targetCount)
        for b in assignment.best { counts[Int(b)] += 1 }
        return counts
    }

    /// The counts from the candidate lists equal the brute-force counts after every change of the
    /// heights, small (settled by the candidates) and large (forcing refreshes), in d = 8; and small
    /// changes are settled without scoring every point again.
    @Test func countsEqualBruteForceAsHeightsMove() throws {
        let dimension = 8, targetCount = 300
        let targets = TestProblems.uniform(count: targetCount, dimension: dimension, extent: 1, seed: 3)
        let cells = PowerCells(targets: targets, dimension: dimension)
        let source = SourceDistribution.uniformBox(halfWidth: 1)
        let sequence = SobolSequence(dimension: dimension, scrambleSeed: 99)
        let lists = CandidateLists(cells: cells, source: source, sequence: sequence, k: 8)
        var generator = SeededGenerator(seed: 17)
        var heights = [Double](repeating: 0, count: targetCount)
        lists.grow(to: 3000, heights: heights)
        var settledSteps = 0
        for step in 0..<40 {
            let size = step < 20 ? 0.002 : 0.2
            for i in 0..<targetCount { heights[i] += size * (generator.nextUnitDouble() * 2 - 1) }
            if step == 25 { lists.grow(to: 5000, heights: heights) }
            let measured = lists.measure(heights: heights)
            let expected = bruteForceCounts(cells, source: source, sequence: sequence, count: lists.count, heights: heights)
            #expect(measured.counts == expected, "step \(step)")
            #expect(measured.counts.reduce(0, +) == lists.count)
            if step < 20 && measured.refreshed < lists.count / 2 { settledSteps += 1 }
        }
        #expect(settledSteps >= 15, "small height changes should rarely force a full re-scoring")
        #expect(lists.candidateScorings > 0)
    }

    /// With `k ≥ M` every target is a candidate and no point is ever re-scored.
    @Test func everyTargetACandidateNeverRefreshes() throws {
        let targets = TestProblems.uniform(count: 5, dimension: 3, extent: 1, seed: 4)
        let cells = PowerCells(targets: targets, dimension: 3)
        let sequence = SobolSequence(dimension: 3, scrambleSeed: 5)
        let lists = CandidateLists(cells: cells, source: .gaussian, sequence: sequence, k: 10)
        lists.grow(to: 512, heights: [Double](repeating: 0, count: 5))
        let heights = [0.9, -2.0, 0.3, 1.5, -0.7]
        let measured = lists.measure(heights: heights)
        #expect(measured.refreshed == 0)
        #expect(measured.counts == bruteForceCounts(cells, source: .gaussian, sequence: sequence, count: 512, heights: heights))
    }
}
