import Testing

import DistributedTransport

/// The reduction rules and the partition, without MPI.
@Suite struct ReductionTests {
    @Test func maxLocationKeepsTheLargerScoreThenTheLowerIndex() {
        let a = ScoreIndex(score: 2, index: 7), b = ScoreIndex(score: 3, index: 9), c = ScoreIndex(score: 2, index: 4)
        #expect(ScoreIndex.maxLocation(a, b).index == 9)
        #expect(ScoreIndex.maxLocation(b, a).index == 9)
        #expect(ScoreIndex.maxLocation(a, c).index == 4)
        #expect(ScoreIndex.maxLocation(c, a).index == 4)
        #expect(ScoreIndex.maxLocation(.none, a).index == 7)
    }

    /// The merge of top-two lists equals the top two of the union, in any order of the ranks.
    @Test func topTwoMergeIsTheTopTwoOfTheUnion() {
        var generator = SplitMix(state: 42)
        for _ in 0..<2000 {
            let ranks = 1 + Int(generator.next() % 5)
            var lists: [TopTwo] = []
            var all: [ScoreIndex] = []
            var nextIndex: Int32 = 0
            for _ in 0..<ranks {
                let size = Int(generator.next() % 4) // 0...3 targets on this rank
                var entries = (0..<size).map { _ -> ScoreIndex in
                    defer { nextIndex += 1 }
                    return ScoreIndex(score: Float(generator.next() % 4), index: nextIndex) // many ties
                }
                all += entries
                entries.sort { $0.ranks(before: $1) }
                lists.append(TopTwo(first: entries.first ?? .none, runnerUp: entries.count > 1 ? entries[1] : .none))
            }
            all.sort { $0.ranks(before: $1) }
            let expected = (all.first?.index ?? -1, all.count > 1 ? all[1].index : -1)
            let forward = lists.dropFirst().reduce(lists[0], TopTwo.merge)
            let backward = lists.reversed().dropFirst().reduce(lists.last!, TopTwo.merge)
            #expect((forward.best, forward.second) == expected)
            #expect((backward.best, backward.second) == expected)
        }
    }

    @Test func partitionUsesWholeTiles() throws {
        let m = 1200
        let three = try (0..<3).map { try TargetPartition(totalCount: m, rankCount: 3, rank: $0) }
        #expect(three.map(\.localRange) == [0..<512, 512..<1024, 1024..<1200])
        let two = try (0..<2).map { try TargetPartition(totalCount: m, rankCount: 2, rank: $0) }
        #expect(two.map(\.localRange) == [0..<512, 512..<1200])
        for index in [0, 511, 512, 1023, 1024, 1199] {
            #expect(three[0].owner(of: index) == index / 512)
        }
        let big = try (0..<16).map { try TargetPartition(totalCount: 4_000_000, rankCount: 16, rank: $0) }
        #expect(big.map(\.localCount).reduce(0, +) == 4_000_000)
        #expect(big.allSatisfy { $0.offset % 512 == 0 })
        #expect(throws: DistributedError.tooManyRanks(ranks: 3, targets: 1024, granularity: 512)) {
            try TargetPartition(totalCount: 1024, rankCount: 3, rank: 0)
        }
    }

    @Test func threadGroupFoldRunsInRankOrder() throws {
        let results = ThreadGroupCommunicator.run(size: 4) { communicator -> [Double] in
            var state: [Double] = []
            state = [0]
            try communicator.sequentialFold(&state) { $0[0] = $0[0] * 10 + Double(communicator.rank + 1) }
            return state
        }
        for result in results { #expect(try result.get() == [1234]) }
    }

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
