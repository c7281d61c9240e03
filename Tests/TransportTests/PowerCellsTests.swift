import Testing
import TensorModule
import Transport

/// The argmax kernel against a brute-force loop, ties included.
@Suite struct PowerCellsTests {
    /// Integer coordinates and heights keep every score exact in Float, so ties are exact ties and
    /// the kernel's lowest-index rule can be checked bit for bit.
    private func integerCase(targets m: Int, points n: Int, dimension d: Int, seed: UInt64)
        -> (targets: [Float], points: [Float], heights: [Float]) {
        var generator = SeededGenerator(seed: seed)
        func small() -> Float { Float(Int(generator.next() % 7) - 3) }
        let targets = (0..<(m * d)).map { _ in small() }
        let points = (0..<(n * d)).map { _ in small() }
        let heights = (0..<m).map { _ in small() }
        return (targets, points, heights)
    }

    /// Scores sorted by (score descending, index ascending).
    private func bruteForceOrder(point p: Int, _ c: (targets: [Float], points: [Float], heights: [Float]),
                                 dimension d: Int) -> [(index: Int, score: Float)] {
        let m = c.heights.count
        var scored: [(index: Int, score: Float)] = []
        for i in 0..<m {
            var s: Float = 0
            for j in 0..<d { s += c.points[p * d + j] * c.targets[i * d + j] }
            scored.append((i, s + c.heights[i]))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        return scored
    }

    /// d = 2 uses the register kernel, d = 5 the sgemm one; M = 1100 spans three 512-target tiles
    /// with a partial last one, M = 37 is below one SIMD group multiple.
    @Test(arguments: [(2, 37), (2, 1100), (5, 37), (5, 1100), (1, 3)])
    func bestSecondAndGapMatchBruteForce(dimension d: Int, targets m: Int) {
        let n = 700
        let c = integerCase(targets: m, points: n, dimension: d, seed: UInt64(31 * d + m))
        let cells = PowerCells(targets: c.targets, dimension: d)
        let result = cells.assign(points: c.points, heights: c.heights)
        var ties = 0
        for p in 0..<n {
            let order = bruteForceOrder(point: p, c, dimension: d)
            #expect(Int(result.best[p]) == order[0].index, "point \(p): best \(result.best[p]), expected \(order[0].index)")
            #expect(Int(result.second[p]) == order[1].index, "point \(p): second \(result.second[p]), expected \(order[1].index)")
            #expect(result.gap[p] == order[0].score - order[1].score)
            #expect(result.bestScore[p] == order[0].score)
            if order[0].score == order[1].score { ties += 1 }
        }
        if m >= 37 { #expect(ties > 0, "the integer case should contain exact ties") }
    }

    @Test func singleTargetHasNoSecond() {
        let cells = PowerCells(targets: [0.5, -0.5], dimension: 2)
        let result = cells.assign(points: [0.1, 0.2, -0.3, 0.4], heights: [0.25])
        #expect(result.best == [0, 0])
        #expect(result.second == [-1, -1])
        #expect(result.gap.allSatisfy { $0 == .infinity })
    }

    @Test(arguments: [(2, 1100, 5), (5, 37, 20), (3, 4, 6)])
    func topKMatchesBruteForce(dimension d: Int, targets m: Int, k: Int) {
        let n = 300
        let c = integerCase(targets: m, points: n, dimension: d, seed: UInt64(7 * d + m + k))
        let cells = PowerCells(targets: c.targets, dimension: d)
        let top = cells.topK(points: c.points, heights: c.heights, k: k)
        #expect(top.count == n)
        for p in 0..<n {
            let order = bruteForceOrder(point: p, c, dimension: d)
            let indices = Array(top.indices(ofPoint: p)), scores = Array(top.scores(ofPoint: p))
            for slot in 0..<k {
                if slot < m {
                    #expect(Int(indices[slot]) == order[slot].index, "point \(p) slot \(slot)")
                    #expect(scores[slot] == order[slot].score)
                } else {
                    #expect(indices[slot] == -1 && scores[slot] == -.infinity)
                }
            }
        }
    }

    /// The pointer entry point writes exactly `count` results and agrees with the array one.
    @Test func pointerEntryPointAgrees() {
        let c = integerCase(targets: 50, points: 99, dimension: 3, seed: 5)
        let cells = PowerCells(targets: c.targets, dimension: 3)
        var best = [Int32](repeating: 99, count: 100)
        c.points.withUnsafeBufferPointer { points in
            best.withUnsafeMutableBufferPointer { out in
                cells.assign(points: points.baseAddress!, count: 99, heights: c.heights, best: out.baseAddress!)
            }
        }
        #expect(Array(best[0..<99]) == cells.assign(points: c.points, heights: c.heights).best)
        #expect(best[99] == 99)
    }
}
