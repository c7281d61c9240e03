import Testing
import Foundation
import TensorModule
import Datasets

@Suite struct ToyDistributionTests {
    /// Per-mode means and deviations, and the share of samples within 3 std of their mode.
    /// Tolerances are about 4 standard errors at n = 16,000.
    @Test(arguments: [ToyDistribution.eightGaussians, .twentyFiveGaussians])
    func mixturesHaveTheirModesAndDeviation(distribution: ToyDistribution) throws {
        let modes = try #require(distribution.modes)
        let deviation = try #require(distribution.standardDeviation)
        let count = 16_000
        var generator = SeededGenerator(seed: 11)
        let points = distribution.sample(count: count, using: &generator)
        #expect(points.count == 2 * count)

        var members = [[(Double, Double)]](repeating: [], count: modes.count)
        var withinThree = 0
        for index in 0..<count {
            let x = Double(points[2 * index]), y = Double(points[2 * index + 1])
            let distances = modes.map { ($0[0] - x) * ($0[0] - x) + ($0[1] - y) * ($0[1] - y) }
            let nearest = distances.indices.min { distances[$0] < distances[$1] }!
            members[nearest].append((x - modes[nearest][0], y - modes[nearest][1]))
            if distances[nearest].squareRoot() <= 3 * deviation { withinThree += 1 }
        }
        let expectedPerMode = Double(count) / Double(modes.count)
        for (mode, offsets) in members.enumerated() {
            let n = Double(offsets.count)
            #expect(abs(n - expectedPerMode) < 4 * (expectedPerMode * (1 - 1 / Double(modes.count))).squareRoot(), "mode \(mode): \(offsets.count) samples")
            let meanX = offsets.map(\.0).reduce(0, +) / n, meanY = offsets.map(\.1).reduce(0, +) / n
            #expect(abs(meanX) < 4 * deviation / n.squareRoot() && abs(meanY) < 4 * deviation / n.squareRoot(), "mode \(mode) mean offset (\(meanX), \(meanY))")
            let spread = (offsets.map { $0.0 * $0.0 + $0.1 * $0.1 }.reduce(0, +) / (2 * n)).squareRoot()
            #expect(abs(spread / deviation - 1) < 4 / (4 * n).squareRoot() + 0.01, "mode \(mode) std \(spread)")
        }
        // P(|N(0, σ²I₂)| ≤ 3σ) = 1 − e^(−9/2) = 0.98889.
        let fraction = Double(withinThree) / Double(count)
        #expect(abs(fraction - (1 - exp(-4.5))) < 0.004, "fraction within 3 std: \(fraction)")
    }

    @Test func modeLayouts() throws {
        let eight = try #require(ToyDistribution.eightGaussians.modes)
        #expect(eight.count == 8 && eight.allSatisfy { abs(($0[0] * $0[0] + $0[1] * $0[1]).squareRoot() - 2) < 1e-12 })
        #expect(abs(eight[1][0] - 2.0.squareRoot()) < 1e-12 && abs(eight[2][1] - 2) < 1e-12)
        let grid = try #require(ToyDistribution.twentyFiveGaussians.modes)
        #expect(grid.count == 25 && Set(grid.map { $0[0] }) == [-4, -2, 0, 2, 4])
        #expect(ToyDistribution.ring.modes == nil && ToyDistribution.swissRoll.standardDeviation == nil)
    }

    @Test func continuousShapesStayInTheirRange() {
        var generator = SeededGenerator(seed: 3)
        let ring = ToyDistribution.ring.sample(count: 4000, using: &generator)
        let radii: [Double] = (0..<4000).map { (index: Int) -> Double in
            let x = Double(ring[2 * index]), y = Double(ring[2 * index + 1])
            return (x * x + y * y).squareRoot()
        }
        let meanRadius = radii.reduce(0, +) / 4000
        #expect(abs(meanRadius - 2) < 0.005)
        #expect(radii.allSatisfy { abs($0 - 2) < 0.3 })
        #expect((0..<4000).filter { ring[2 * $0] > 0 && ring[2 * $0 + 1] > 0 }.count > 900) // one quadrant ≈ 1000

        for distribution in [ToyDistribution.twoMoons, .swissRoll] {
            let points = distribution.sample(count: 4000, using: &generator)
            #expect(points.allSatisfy { abs($0) < 2.4 }, "\(distribution)")
            let xs = stride(from: 0, to: points.count, by: 2).map { points[$0] }
            #expect(xs.max()! - xs.min()! > 2.5, "\(distribution) spans the range")
        }
        let moons = ToyDistribution.twoMoons.sampleTensor(count: 2000, using: &generator)
        #expect(moons.shape == [2000, 2])
        let meanX = (0..<2000).map { moons.scalars[2 * $0] }.reduce(0, +) / 2000
        #expect(abs(meanX) < 0.06) // centred
    }

    @Test func samplingIsDeterministicAndNamesAreStable() throws {
        var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
        for distribution in ToyDistribution.allCases {
            #expect(distribution.sample(count: 50, using: &first) == distribution.sample(count: 50, using: &second))
        }
        #expect(ToyDistribution.allCases.map(\.rawValue) == ["eight-gaussians", "twenty-five-gaussians", "ring", "two-moons", "swiss-roll"])
        let json = try JSONEncoder().encode([ToyDistribution.twentyFiveGaussians])
        #expect(String(decoding: json, as: UTF8.self) == "[\"twenty-five-gaussians\"]")
        #expect(try JSONDecoder().decode([ToyDistribution].self, from: json) == [.twentyFiveGaussians])
    }
}

@Suite struct ShuffleTests {
    /// Pinned: the permutation for a seed must not change with platform or Swift version.
    @Test func permutationsArePinnedByTheSeed() {
        var generator = SeededGenerator(seed: 42)
        let permutation = Shuffle.permutation(count: 10, using: &generator)
        #expect(permutation.sorted() == Array(0..<10))
        var again = SeededGenerator(seed: 42)
        #expect(Shuffle.permutation(count: 10, using: &again) == permutation)
        var other = SeededGenerator(seed: 43)
        #expect(Shuffle.permutation(count: 10, using: &other) != permutation)
        #expect(permutation == ShuffleTests.pinned, "got \(permutation)")
    }
    /// Checked against an independent Python implementation of xoshiro256** + Lemire + Fisher–Yates.
    static let pinned = [9, 1, 4, 2, 8, 7, 6, 5, 3, 0]

    /// All 24 orders of 4 items appear about equally often (chi-square, 23 degrees of freedom;
    /// 60 is beyond the 99.99th percentile).
    @Test func fisherYatesIsUniform() {
        var generator = SeededGenerator(seed: 9)
        var counts: [[Int]: Int] = [:]
        let trials = 24_000
        for _ in 0..<trials { counts[Shuffle.permutation(count: 4, using: &generator), default: 0] += 1 }
        #expect(counts.count == 24)
        let chiSquare = counts.values.map { Double(($0 - 1000) * ($0 - 1000)) / 1000 }.reduce(0, +)
        #expect(chiSquare < 60, "chi-square \(chiSquare)")
    }

    @Test func uniformIndexStaysBelowItsBound() {
        var generator = SeededGenerator(seed: 1)
        for bound in [1, 2, 3, 7, 1000, Int.max] {
            for _ in 0..<100 { #expect((0..<bound).contains(Shuffle.uniformIndex(below: bound, using: &generator))) }
        }
    }
}

@Suite struct ImageDatasetTests {
    static func dataset(count: Int = 10) -> ImageDataset {
        ImageDataset(name: "d", images: Tensor(shape: [count, 1, 1, 2], scalars: (0..<(2 * count)).map { Float($0) / Float(2 * count) }),
                     labels: (0..<count).map { $0 % 3 }, classCount: 3)
    }

    @Test func batchesVisitEveryImageOnce() {
        let dataset = Self.dataset()
        var generator = SeededGenerator(seed: 2)
        let batches = Array(dataset.batches(batchSize: 4, shuffle: true, using: &generator))
        #expect(batches.map(\.images.shape) == [[4, 1, 1, 2], [4, 1, 1, 2], [2, 1, 1, 2]])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<10))
        #expect(batches.flatMap(\.indices) != Array(0..<10))
        for batch in batches {
            #expect(batch.labels == batch.indices.map { $0 % 3 })
            #expect(batch.images.scalars == dataset.images.gatherRows(batch.indices).scalars)
        }
        // The same generator gives a new order next epoch; the same seed gives the same epochs.
        let secondEpoch = dataset.batches(batchSize: 4, shuffle: true, using: &generator).order
        #expect(secondEpoch != batches.flatMap(\.indices))
        var replay = SeededGenerator(seed: 2)
        #expect(dataset.batches(batchSize: 4, shuffle: true, using: &replay).order == batches.flatMap(\.indices))

        let ordered = dataset.batches(batchSize: 4, shuffle: false, dropLast: true, using: &generator)
        #expect(ordered.batchCount == 2 && Array(ordered).flatMap(\.indices) == Array(0..<8))
    }

    @Test func subsetsKeepLabelsWithImages() {
        let dataset = Self.dataset()
        let subset = dataset.subset([9, 0, 4])
        #expect(subset.count == 3 && subset.labels == [0, 0, 1] && subset.classCount == 3)
        #expect(subset.images.scalars == [18, 19, 0, 1, 8, 9].map { Float($0) / 20 })
        #expect(dataset.classCounts == [4, 3, 3])
        #expect(dataset.prefix(2).count == 2 && dataset.flattenedImages.shape == [10, 2])
        #expect(dataset.imageShape == [1, 1, 2] && dataset.imageSize == 2)
    }
}

@Suite struct StratifiedToySamplingTests {
    /// Every mode gets the same number of points, each within a few deviations of its mode.
    @Test func modesAreEquallyRepresented() {
        var rng = SeededGenerator(seed: 4)
        let distribution = ToyDistribution.eightGaussians
        let points = distribution.sampleStratified(count: 800, using: &rng)
        var counts = [Int](repeating: 0, count: 8)
        for i in 0..<800 {
            let x = Double(points[2 * i]), y = Double(points[2 * i + 1])
            let nearest = distribution.modes!.indices.min { a, b in
                let ma = distribution.modes![a], mb = distribution.modes![b]
                return (ma[0] - x) * (ma[0] - x) + (ma[1] - y) * (ma[1] - y) < (mb[0] - x) * (mb[0] - x) + (mb[1] - y) * (mb[1] - y)
            }!
            counts[nearest] += 1
        }
        #expect(counts == [Int](repeating: 100, count: 8))
        // Not sorted by mode: consecutive points usually differ in mode.
        #expect(points[0] != points[2] || points[1] != points[3])
    }
}
