import Testing
import Foundation
import TensorModule
import Transport

@Suite struct TransportMapTests {
    /// 400 targets in two clusters in the unit square, with Voronoi heights.
    func twoClusters() -> TransportMap {
        var rng = SeededGenerator(seed: 5)
        var targets: [Float] = []
        for i in 0..<400 {
            let centre: Float = i < 200 ? -0.6 : 0.6
            targets += [centre + 0.2 * (rng.nextUnitFloat() - 0.5), 0.4 * (rng.nextUnitFloat() - 0.5)]
        }
        var heights: [Double] = []
        for i in 0..<400 {
            let x = Double(targets[2 * i]), y = Double(targets[2 * i + 1])
            heights.append(-0.5 * (x * x + y * y))
        }
        return TransportMap(targets: targets, dimension: 2, heights: heights, source: .uniformBox(halfWidth: 1))
    }

    @Test func pureSamplesAreTargetsOfTheirCells() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 1)
        let samples = map.pure(count: 500, using: &rng)
        #expect(samples.codes.count == 1000 && samples.acceptanceRate == 1)
        for (i, t) in samples.bestTargets.enumerated() {
            #expect(Array(samples.codes[(2 * i)..<(2 * i + 2)]) == Array(map.targets[(2 * Int(t))..<(2 * Int(t) + 2)]))
        }
    }

    @Test func blendedSamplesLieOnSegmentsBetweenNeighbouringTargets() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 2)
        let samples = map.extended(count: 300, threshold: .radians(.pi), using: &rng)
        #expect(samples.bestTargets.count == 300)
        #expect(samples.acceptanceRate == 1, "threshold π accepts every point")
        #expect(zip(samples.bestTargets, samples.partnerTargets).allSatisfy { $0 != $1 && $1 >= 0 })
        // z = y_a + λ (y_b - y_a) with λ in [0, 1]: collinear and between.
        let positions = Self.blendPositions(samples, on: map)
        #expect(positions.count == 300)
        #expect(positions.allSatisfy { $0.lambda >= -1e-5 && $0.lambda <= 1 + 1e-5 && $0.offLine < 1e-5 })
    }

    @Test func smallerThresholdsAcceptFewerPointsAndCalibrationHitsTheRate() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 3)
        let angle = map.calibrateAngle(acceptance: 0.5, pilotCount: 8192, using: &rng)
        let strict = map.extended(count: 2000, threshold: .radians(angle / 4), using: &rng)
        let calibrated = map.extended(count: 2000, threshold: .acceptance(0.5), using: &rng)
        #expect(strict.acceptanceRate < calibrated.acceptanceRate)
        #expect(abs(calibrated.acceptanceRate - 0.5) < 0.04)
        #expect(abs(calibrated.angleThreshold! - angle) < 0.2 * angle)
    }

    /// `rejected: .pure` keeps every drawn point: the unblendable ones as their exact training code,
    /// so the best cells are distributed as the pure map's; the blend fraction is the calibrated rate.
    @Test func rejectedPointsKeptAsPureSamples() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 4)
        let samples = map.extended(count: 4000, threshold: .acceptance(0.4), rejected: .pure, using: &rng)
        #expect(samples.bestTargets.count == 4000 && samples.sourcePointsDrawn == 4000)
        #expect(abs(samples.acceptanceRate - 0.4) < 0.05, "blend fraction \(samples.acceptanceRate)")
        let d = map.dimension
        var pureCount = 0
        for i in 0..<4000 where samples.partnerTargets[i] < 0 {
            pureCount += 1
            let t = Int(samples.bestTargets[i])
            #expect(Array(samples.codes[(i * d)..<((i + 1) * d)]) == Array(map.targets[(t * d)..<((t + 1) * d)]))
        }
        #expect(pureCount == 4000 - samples.blendedCount)
        // Redrawing instead keeps only blends.
        var again = SeededGenerator(seed: 4)
        let redrawn = map.extended(count: 1000, threshold: .acceptance(0.4), using: &again)
        #expect(redrawn.partnerTargets.allSatisfy { $0 >= 0 } && redrawn.sourcePointsDrawn > 1000)
    }

    /// For each blended sample, where it lies on the line through its pair: `λ` in
    /// `y_i + λ (y_j - y_i)`, and its distance from that line.
    static func blendPositions(_ samples: TransportSamples, on map: TransportMap) -> [(lambda: Double, offLine: Double)] {
        let d = map.dimension
        var positions: [(lambda: Double, offLine: Double)] = []
        for i in 0..<samples.bestTargets.count where samples.partnerTargets[i] >= 0 {
            let a = Int(samples.bestTargets[i]), b = Int(samples.partnerTargets[i])
            let direction = (0..<d).map { Double(map.targets[b * d + $0]) - Double(map.targets[a * d + $0]) }
            let offset = (0..<d).map { Double(samples.codes[i * d + $0]) - Double(map.targets[a * d + $0]) }
            let length = direction.reduce(0) { $0 + $1 * $1 }
            let lambda = zip(offset, direction).reduce(0) { $0 + $1.0 * $1.1 } / length
            let across = zip(offset, direction).reduce(0) { $0 + ($1.0 - lambda * $1.1) * ($1.0 - lambda * $1.1) }
            positions.append((lambda, across.squareRoot() / (1 + length.squareRoot())))
        }
        return positions
    }

    /// The facet blend puts each sample between its code (λ = 0, deep in the cell) and the midpoint
    /// with its partner (λ = ½, at the facet): λ ∈ [0, ½], both ends reached.
    @Test func facetBlendStaysWithinHalfWay() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 6)
        let samples = map.extended(count: 3000, threshold: .acceptance(0.8), blend: .facet, rejected: .pure, using: &rng)
        let lambdas = Self.blendPositions(samples, on: map).map(\.lambda)
        #expect(!lambdas.isEmpty)
        #expect(lambdas.allSatisfy { $0 >= -1e-5 && $0 <= 0.5 + 1e-5 })
        #expect(lambdas.filter { $0 < 1e-6 }.count > lambdas.count / 4, "about half the blended pairs lie beyond the median gap: λ = 0")
        #expect(lambdas.contains { $0 > 0.35 })
    }

    /// The linear extension puts the facet at the midpoint (λ = ½) and a point at the median gap at
    /// the cell's own code (λ = 0); deeper points go past the code, away from the partner (λ < 0, at
    /// least -½): blended samples are centred on their codes (median λ ≈ 0), not pulled toward partners.
    @Test func linearExtensionCentresSamplesOnTheirCodes() {
        let map = twoClusters()
        var rng = SeededGenerator(seed: 6)
        let samples = map.extended(count: 3000, threshold: .acceptance(0.8), blend: .linearExtension, rejected: .pure, using: &rng)
        let positions = Self.blendPositions(samples, on: map)
        #expect(positions.allSatisfy { $0.offLine <= 1e-4 }, "every sample lies on the line through its pair")
        let lambdas = positions.map(\.lambda)
        #expect(lambdas.count > 1000)
        #expect(lambdas.allSatisfy { $0 >= -0.5 - 1e-5 && $0 <= 0.5 + 1e-5 })
        #expect(lambdas.contains { $0 > 0.4 } && lambdas.contains { $0 < -0.2 }, "both sides of the code are reached")
        let sorted = lambdas.sorted()
        #expect(abs(sorted[sorted.count / 2]) < 0.1, "median λ \(sorted[sorted.count / 2]): samples centred on their codes")
        // The facet blend is the same line cut at the code: λ = max(0, linear extension's λ) for the same draws.
        var again = SeededGenerator(seed: 6)
        let facet = map.extended(count: 3000, threshold: .acceptance(0.8), blend: .facet, rejected: .pure, using: &again)
        #expect(facet.bestTargets == samples.bestTargets && facet.partnerTargets == samples.partnerTargets)
        let cut = Self.blendPositions(facet, on: map).map(\.lambda)
        #expect(zip(cut, lambdas).allSatisfy { abs($0 - max(0, $1)) < 1e-5 })
    }

    @Test func sameSeedSameSamples() {
        let map = twoClusters()
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        #expect(map.extended(count: 100, threshold: .acceptance(0.7), using: &a) == map.extended(count: 100, threshold: .acceptance(0.7), using: &b))
    }

    /// The angle of identical targets is 0; of targets on opposite sides it grows with their distance.
    @Test func angleBetweenPlaneNormals() {
        let map = TransportMap(targets: [0, 0, 1, 0, -3, 0], dimension: 2, heights: [0, 0, 0], source: .gaussian)
        // cos θ = (<a,b> + 1)/sqrt((1+|a|²)(1+|b|²)): (0,0) vs (1,0) → 1/√2 → π/4.
        #expect(abs(map.angle(0, 1) - Double.pi / 4) < 1e-12)
        #expect(map.angle(1, 2) > map.angle(0, 1))
        #expect(map.angle(1, 1) < 1e-6)
    }
}
