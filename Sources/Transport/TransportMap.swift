import Foundation
import TensorModule

/// How strict the extended sampler is about blending two cells.
public enum AngleThreshold: Codable, Sendable, Equatable {
    /// Blend when the angle between the two planes' normals is at most this many radians.
    case radians(Double)
    /// Calibrate the angle on pilot points so that this fraction of source points is accepted.
    case acceptance(Double)
}

/// Where on the segment between the two cells' targets a blended code lies.
public enum BlendWeight: Codable, Sendable, Equatable {
    /// `(1 - λ) y_i + λ y_j` with `λ ~ U(0, 1)` (the toy variant of AE-OT).
    case uniform
    /// `(1 - λ) y_i + λ y_j` with a fixed `λ` (the CelebA variant uses 0.75).
    case fixed(Double)
    /// `λ = ½ max(0, 1 - g/w)`, `g` the score gap `s_i(x) - s_j(x)` (how far `x` is from the facet
    /// of the two cells, in score units) and `w` the median gap of the blended pairs on pilot points:
    /// half-way at the facet, the cell's own code deep inside it. The map stays continuous across
    /// every facet it blends (from either side the code at the facet is the midpoint) and keeps
    /// most samples near their cell's code (measured on Fashion-MNIST: blending every sample by a
    /// uniform λ lowers recall below the pure map's, blending by the gap does not).
    case facet
    /// `λ = clamp(½ (1 - g/w), -½, ½)`: the piecewise-linear extension of `T` along the pair, through
    /// the cell's code at a typical interior point. The facet (`g = 0`) maps to the midpoint, as in
    /// `.facet`; a point at the median gap `w` maps to `y_i` itself; points deeper in the cell continue
    /// the line past `y_i`, away from `y_j` (at most half the pair's distance). Each cell's samples
    /// are thus spread around its code instead of pulled toward its neighbours, so the samples keep
    /// the codes' spread: measured on Fashion-MNIST and MNIST, recall above the pure map's and
    /// memorisation below it, where `.facet` and `.uniform` lose recall (they only shrink toward
    /// neighbours). The default of the extended sampler.
    case linearExtension

    /// The weight of the partner for a point at score gap `gap` from the facet (`facetWidth`: the
    /// median gap `w` of blended pairs; `uniform` draws from `generator`).
    func lambda(gap: Float, facetWidth: Float, using generator: inout some RandomNumberGenerator) -> Double {
        switch self {
        case .uniform: return generator.nextUnitDouble()
        case .fixed(let value): return value
        case .facet: return 0.5 * max(0, 1 - Double(gap / facetWidth))
        case .linearExtension: return min(0.5, max(-0.5, 0.5 * (1 - Double(gap / facetWidth))))
        }
    }

    /// Whether `λ` depends on the gap to the facet (the median gap is then measured on pilot points).
    var usesFacetWidth: Bool { self == .facet || self == .linearExtension }
}

/// What the extended sampler does with a source point none of whose neighbouring cells can be blended
/// with its own (every angle above the threshold: the point sits where the map tears modes apart).
public enum RejectionRule: String, Codable, Sendable, CaseIterable {
    /// Draw another source point (AE-OT's rule). Cells whose neighbours are all far (isolated codes,
    /// cluster edges) are then sampled less than `ν` says.
    case redraw
    /// Keep the point as a pure sample `T(x) = y_i`: every cell keeps its mass `ν_i` (blends where
    /// the potential is smooth, training codes where it is not), so coverage is that of the pure map.
    case pure
}

/// Codes produced by the map, in the problem's (normalised) coordinates.
public struct TransportSamples: Sendable, Equatable {
    /// Flat row-major `count × d`.
    public var codes: [Float]
    /// The best target of each sample's source point.
    public var bestTargets: [Int32]
    /// For blended samples, the second target of the pair (-1 for pure samples).
    public var partnerTargets: [Int32]
    /// Source points drawn to produce the samples (≥ count when some were rejected).
    public var sourcePointsDrawn: Int
    /// Samples that are blends of two cells (the rest are training codes).
    public var blendedCount: Int
    /// The angle threshold in radians that was applied (nil for the pure map).
    public var angleThreshold: Double?
    /// Blended / drawn: the fraction of source points whose cell could be blended with a neighbour
    /// (1 for the pure map, which blends nothing and rejects nothing).
    public var acceptanceRate: Double {
        if angleThreshold == nil { return 1 }
        return sourcePointsDrawn == 0 ? 0 : Double(blendedCount) / Double(sourcePointsDrawn)
    }
}

/// The explicit optimal transport map `T(x) = y_{argmax_i <x, y_i> + h_i}` (the gradient of the
/// Brenier potential `u_h`) and the extended sampler of AE-OT (ICLR 2020), which blends the codes of
/// neighbouring cells where `u_h` is smooth and refuses to blend across its singular set, where the
/// planes of the two cells meet at a large angle (a gap between modes).
public struct TransportMap: Sendable {
    public let targets: [Float]
    public let dimension: Int
    public let heights: [Double]
    public let source: SourceDistribution
    private let cells: PowerCells
    private let floatHeights: [Float]

    public init(targets: [Float], dimension: Int, heights: [Double], source: SourceDistribution) {
        precondition(dimension >= 1 && targets.count % dimension == 0 && targets.count / dimension == heights.count,
                     "TransportMap: \(targets.count) target values, dimension \(dimension), \(heights.count) heights")
        self.targets = targets
        self.dimension = dimension
        self.heights = heights
        self.source = source
        cells = PowerCells(targets: targets, dimension: dimension)
        floatHeights = heights.map { Float($0) }
    }

    public init(problem: SemiDiscreteProblem, heights: [Double]) {
        self.init(targets: problem.targets, dimension: problem.dimension, heights: heights, source: problem.source)
    }

    public var targetCount: Int { heights.count }

    /// `T(x)` for given points (flat row-major n×d): the index of each point's cell.
    public func cellIndices(of points: [Float]) -> [Int32] {
        cells.assign(points: points, heights: floatHeights).best
    }

    /// The pure map on `count` fresh source points: every sample is a target.
    public func pure(count: Int, using generator: inout some RandomNumberGenerator) -> TransportSamples {
        let points = source.points(count: count, dimension: dimension, using: &generator)
        let best = cellIndices(of: points)
        var codes = [Float](repeating: 0, count: count * dimension)
        for (i, target) in best.enumerated() {
            let t = Int(target)
            for j in 0..<dimension { codes[i * dimension + j] = targets[t * dimension + j] }
        }
        return TransportSamples(codes: codes, bestTargets: best, partnerTargets: [Int32](repeating: -1, count: count),
                                sourcePointsDrawn: count, blendedCount: 0, angleThreshold: nil)
    }

    /// Angle between the normals `n = (y, -1)/|(y, -1)|` of the planes of targets `a` and `b`:
    /// `cos θ = (<y_a, y_b> + 1) / sqrt((1 + |y_a|²)(1 + |y_b|²))`.
    public func angle(_ a: Int, _ b: Int) -> Double {
        var dot = 1.0, normA = 1.0, normB = 1.0
        for j in 0..<dimension {
            let u = Double(targets[a * dimension + j]), v = Double(targets[b * dimension + j])
            dot += u * v; normA += u * u; normB += v * v
        }
        return Foundation.acos(min(1, max(-1, dot / (normA * normB).squareRoot())))
    }

    /// For each point: its best cell, the highest-ranked of its next `k - 1` cells whose angle with
    /// the best is within `threshold` (-1 when none), and that pair's angle (or, without a partner,
    /// the smallest angle among the candidates: what calibration needs).
    private func candidatePairs(_ points: [Float], neighbours k: Int, threshold: Double)
        -> [(best: Int32, partner: Int32, angle: Double, gap: Float)] {
        let top = cells.topK(points: points, heights: floatHeights, k: k)
        var result: [(Int32, Int32, Double, Float)] = []
        result.reserveCapacity(top.count)
        for p in 0..<top.count {
            let row = top.indices(ofPoint: p), scores = top.scores(ofPoint: p)
            let best = row[row.startIndex]
            var chosen: Int32 = -1, chosenAngle = Double.infinity, smallest = Double.infinity, gap = Float.infinity
            for (rank, candidate) in row.enumerated().dropFirst() where candidate >= 0 {
                let theta = angle(Int(best), Int(candidate))
                smallest = min(smallest, theta)
                // The highest-ranked neighbour within the threshold (the closest cell that can be blended).
                if chosen < 0 && theta <= threshold {
                    chosen = candidate; chosenAngle = theta
                    gap = scores[scores.startIndex] - scores[scores.startIndex + rank]
                }
            }
            result.append((best, chosen, chosen >= 0 ? chosenAngle : smallest, gap))
        }
        return result
    }

    /// The angle threshold at which a fraction `acceptance` of source points finds a partner cell,
    /// measured on `pilotCount` pilot points (the quantile of each point's smallest pair angle).
    public func calibrateAngle(acceptance: Double, neighbours k: Int = 2, pilotCount: Int = 8192,
                               using generator: inout some RandomNumberGenerator) -> Double {
        precondition(acceptance > 0 && acceptance <= 1, "calibrateAngle: acceptance must be in (0, 1], got \(acceptance)")
        let points = source.points(count: pilotCount, dimension: dimension, using: &generator)
        let angles = candidatePairs(points, neighbours: max(2, k), threshold: -1).map(\.angle).sorted()
        let finite = angles.filter { $0.isFinite }
        guard !finite.isEmpty else { return .pi }
        let index = min(finite.count - 1, max(0, Int((acceptance * Double(angles.count)).rounded(.up)) - 1))
        return finite[index]
    }

    /// The extended sampler: each fresh source point takes its best cell `i` and, among its next
    /// `neighbours - 1` cells, the best-ranked `j` whose plane meets `i`'s at an angle ≤ threshold;
    /// the sample is `(1 - λ) y_i + λ y_j`. Points without such a `j` are redrawn, or (`rejected:
    /// .pure`) kept as the pure sample `y_i` (partner -1; `acceptanceRate` then counts blends only).
    /// Stops after `maximumDraws` source points (fewer samples than asked when acceptance is tiny).
    public func extended(count: Int, threshold: AngleThreshold, neighbours k: Int = 2, blend: BlendWeight = .uniform,
                         rejected: RejectionRule = .redraw, maximumDraws: Int? = nil,
                         using generator: inout some RandomNumberGenerator) -> TransportSamples {
        precondition(k >= 2, "TransportMap.extended: needs at least 2 neighbours, got \(k)")
        let radians: Double
        switch threshold {
        case .radians(let value): radians = value
        case .acceptance(let rate): radians = calibrateAngle(acceptance: rate, neighbours: k, using: &generator)
        }
        var facetWidth: Float = 1
        if blend.usesFacetWidth {
            // The median gap of the pairs that blend, on pilot points.
            let pilot = source.points(count: 8192, dimension: dimension, using: &generator)
            let gaps = candidatePairs(pilot, neighbours: min(k, targetCount), threshold: radians)
                .filter { $0.partner >= 0 }.map(\.gap).sorted()
            if !gaps.isEmpty { facetWidth = max(gaps[gaps.count / 2], .leastNormalMagnitude) }
        }
        let limit = maximumDraws ?? max(1000, count * 100)
        var codes: [Float] = [], best: [Int32] = [], partners: [Int32] = []
        codes.reserveCapacity(count * dimension)
        var drawn = 0, blended = 0
        while best.count < count && drawn < limit {
            let batch = min(limit - drawn, max(256, (count - best.count) * 2))
            let points = source.points(count: batch, dimension: dimension, using: &generator)
            for pair in candidatePairs(points, neighbours: min(k, targetCount), threshold: radians) where best.count < count {
                drawn += 1
                guard pair.partner >= 0 else {
                    if rejected == .pure {
                        let i = Int(pair.best)
                        codes.append(contentsOf: targets[(i * dimension)..<((i + 1) * dimension)])
                        best.append(pair.best)
                        partners.append(-1)
                    }
                    continue
                }
                blended += 1
                let lambda = blend.lambda(gap: pair.gap, facetWidth: facetWidth, using: &generator)
                let i = Int(pair.best), j = Int(pair.partner)
                for c in 0..<dimension {
                    let value = (1 - lambda) * Double(targets[i * dimension + c]) + lambda * Double(targets[j * dimension + c])
                    codes.append(Float(value))
                }
                best.append(pair.best)
                partners.append(pair.partner)
            }
        }
        return TransportSamples(codes: codes, bestTargets: best, partnerTargets: partners,
                                sourcePointsDrawn: drawn, blendedCount: blended,
                                angleThreshold: radians)
    }
}

