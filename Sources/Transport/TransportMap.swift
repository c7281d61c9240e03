import Foundation
import TensorModule

/// The transport map of a solved semi-discrete problem and the AE-OT samplers built on it.
///
/// - Pure map: `T(x) = ∇u_h(x) = y_{i*(x)}`, `i*(x) = argmax_i <x, y_i> + h_i`, for fresh source
///   points. It only ever returns targets (training codes).
/// - Extended sampler (AE-OT, ICLR 2020): for a fresh `x`, take its `k` best cells `a = i*(x)`,
///   `c_2, …, c_k` in score order; pair `a` with the first `c_j` whose plane normal makes an angle
///   below the threshold with `a`'s (`n_i = (y_i, -1)/|(y_i, -1)|`, `θ = 2 asin(|n_a - n_b|/2)`);
///   return `z = (1 - λ) y_a + λ y_b`. If no `c_j` qualifies, `x` is rejected and another drawn: a
///   large angle marks the singular set of `u_h`, a gap between modes, where blending would mix
///   them.
///
/// Source points are scrambled Sobol points of `source`, with the scramble drawn from the caller's
/// generator: same generator state, same output.
public struct TransportMap: Sendable {
    public let targets: [Float]
    public let dimension: Int
    public let heights: [Double]
    public let source: SourceDistribution
    let cells: PowerCells
    let floatHeights: [Float]

    public var targetCount: Int { heights.count }

    /// - Throws: `TransportError` if the targets are empty, not `M × d`, non-finite, or the heights
    ///   are not `M` finite values.
    public init(targets: [Float], dimension: Int, heights: [Double],
                source: SourceDistribution = .uniformBox(halfWidth: 1)) throws {
        guard dimension >= 1 else {
            throw TransportError.invalidDimension(field: "dimension", expected: "an integer ≥ 1", found: "\(dimension)")
        }
        guard !targets.isEmpty, targets.count % dimension == 0 else {
            throw TransportError.invalidTargets(field: "targets", expected: "a non-empty M × \(dimension) array",
                                                found: "\(targets.count) values")
        }
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.invalidTargets(field: "targets[\(bad / dimension)][\(bad % dimension)]",
                                                expected: "finite values", found: "\(targets[bad])")
        }
        try CellErrorEstimate.validate(heights: heights, targetCount: targets.count / dimension)
        try source.validate()
        self.targets = targets
        self.dimension = dimension
        self.heights = heights
        self.source = source
        cells = PowerCells(targets: targets, dimension: dimension)
        floatHeights = heights.map { Float($0) }
    }

    /// The map of a solved problem.
    public init(problem: SemiDiscreteProblem, solution: SemiDiscreteSolution) throws {
        try self.init(targets: problem.targets, dimension: problem.dimension, heights: solution.heights,
                      source: problem.source)
    }

    // MARK: - The pure map

    /// `i*(x)` for flat row-major points (`count × d`).
    public func targetIndices(of points: [Float]) -> [Int] {
        precondition(points.count % dimension == 0,
                     "TransportMap: \(points.count) values is not a multiple of dimension \(dimension)")
        return cells.assign(points: points, heights: floatHeights).best.map { Int($0) }
    }

    /// `T(x)` for flat row-major points: the codes `y_{i*(x)}`, row-major.
    public func map(_ points: [Float]) -> [Float] {
        gather(targetIndices(of: points))
    }

    /// `count` codes `T(x)` of fresh source points.
    public func samplePure(count: Int, using generator: inout some RandomNumberGenerator) -> TransportSample {
        precondition(count >= 0, "TransportMap.samplePure: count must be ≥ 0, got \(count)")
        let sequence = SobolSequence(dimension: dimension, scrambleSeed: generator.next())
        let points = source.points(start: 0, count: count, dimension: dimension, sequence: sequence)
        let indices = count > 0 ? targetIndices(of: points) : []
        return TransportSample(codes: gather(indices), targetIndices: indices)
    }

    // MARK: - The extended sampler

    /// The angle between the plane normals of targets `a` and `b`, in radians, `0 ≤ θ < π`.
    public func angle(between a: Int, and b: Int) -> Double {
        var squaredA = 1.0, squaredB = 1.0
        for j in 0..<dimension {
            let u = Double(targets[a * dimension + j]), v = Double(targets[b * dimension + j])
            squaredA += u * u; squaredB += v * v
        }
        let normA = squaredA.squareRoot(), normB = squaredB.squareRoot()
        var difference = 0.0
        for j in 0..<dimension {
            let v = Double(targets[a * dimension + j]) / normA - Double(targets[b * dimension + j]) / normB
            difference += v * v
        }
        let last = -1 / normA + 1 / normB
        difference += last * last
        return 2 * asin(min(1, difference.squareRoot() / 2))
    }

    /// The threshold in radians that accepts the fraction `acceptanceRate` of source points, from
    /// `pilotCount` pilot points (their smallest angle to a top-`neighbours` partner).
    /// - Throws: `TransportError.invalidArgument` for a rate outside (0, 1], fewer than 2 targets,
    ///   `neighbours < 2` or `pilotCount < 1`.
    public func calibrateAngle(acceptanceRate: Double, neighbours: Int = 2, pilotCount: Int = 4096,
                               using generator: inout some RandomNumberGenerator) throws -> Double {
        try checkSampling(neighbours: neighbours)
        guard acceptanceRate > 0 && acceptanceRate <= 1 else {
            throw TransportError.invalidArgument(field: "acceptanceRate", expected: "a fraction in (0, 1]",
                                                 found: "\(acceptanceRate)")
        }
        guard pilotCount >= 1 else {
            throw TransportError.invalidArgument(field: "pilotCount", expected: "≥ 1", found: "\(pilotCount)")
        }
        let sequence = SobolSequence(dimension: dimension, scrambleSeed: generator.next())
        let points = source.points(start: 0, count: pilotCount, dimension: dimension, sequence: sequence)
        let k = min(neighbours, targetCount)
        let top = cells.topK(points: points, heights: floatHeights, k: k)
        var angles: [Double] = []
        angles.reserveCapacity(pilotCount)
        for p in 0..<pilotCount {
            let row = top.indices(ofPoint: p)
            let a = Int(row[row.startIndex])
            var smallest = Double.infinity
            for j in (row.startIndex + 1)..<row.endIndex where row[j] >= 0 {
                smallest = min(smallest, angle(between: a, and: Int(row[j])))
            }
            angles.append(smallest)
        }
        angles.sort()
        // Accept when angle < θ: put θ between the last accepted and the first rejected pilot.
        let accepted = Int((acceptanceRate * Double(pilotCount)).rounded())
        if accepted >= pilotCount { return Double.pi }
        if accepted <= 0 { return angles[0] }
        return (angles[accepted - 1] + angles[accepted]) / 2
    }

    /// `count` blended codes (see the type's notes). Points are drawn in batches until `count` are
    /// accepted.
    /// - Parameters:
    ///   - neighbours: `k`, how many best cells are candidates (2: the toy sampler; 20: CelebA).
    ///   - maximumAttempts: give up after this many source points (default `1000 · count + 10⁶`).
    /// - Throws: `TransportError.invalidArgument` for bad settings, or when fewer than `count`
    ///   points were accepted within `maximumAttempts` (the threshold is too small).
    public func sampleExtended(count: Int, threshold: AngleThreshold, neighbours: Int = 2,
                               blend: BlendWeight = .uniform, pilotCount: Int = 4096, maximumAttempts: Int? = nil,
                               using generator: inout some RandomNumberGenerator) throws -> ExtendedSample {
        try checkSampling(neighbours: neighbours)
        guard count >= 0 else {
            throw TransportError.invalidArgument(field: "count", expected: "≥ 0", found: "\(count)")
        }
        if case .fixed(let lambda) = blend, !(lambda >= 0 && lambda <= 1) {
            throw TransportError.invalidArgument(field: "blend", expected: "a weight in [0, 1]", found: "\(lambda)")
        }
        let radians: Double
        switch threshold {
        case .radians(let value):
            guard value.isFinite && value > 0 else {
                throw TransportError.invalidArgument(field: "threshold", expected: "an angle > 0 in radians",
                                                     found: "\(value)")
            }
            radians = value
        case .acceptance(let rate):
            radians = try calibrateAngle(acceptanceRate: rate, neighbours: neighbours, pilotCount: pilotCount,
                                         using: &generator)
        }
        let limit = maximumAttempts ?? (1000 * count + 1_000_000)
        let sequence = SobolSequence(dimension: dimension, scrambleSeed: generator.next())
        var result = ExtendedSample(codes: [], firstIndices: [], secondIndices: [], blendWeights: [],
                                    angleThreshold: radians, attempts: 0)
        result.codes.reserveCapacity(count * dimension)
        let k = min(neighbours, targetCount)
        let batch = 4096
        var start = 0
        while result.count < count {
            if result.attempts >= limit {
                throw TransportError.invalidArgument(
                    field: "threshold", expected: "an angle that accepts some source points",
                    found: "\(result.count) of \(count) accepted in \(result.attempts) draws at \(radians) rad")
            }
            let n = min(batch, limit - result.attempts)
            let points = source.points(start: start, count: n, dimension: dimension, sequence: sequence)
            start += n
            let top = cells.topK(points: points, heights: floatHeights, k: k)
            for p in 0..<n where result.count < count {
                result.attempts += 1
                let row = top.indices(ofPoint: p)
                let a = Int(row[row.startIndex])
                var partner = -1
                for j in (row.startIndex + 1)..<row.endIndex where row[j] >= 0 {
                    if angle(between: a, and: Int(row[j])) < radians { partner = Int(row[j]); break }
                }
                guard partner >= 0 else { continue }
                let lambda: Double
                switch blend {
                case .uniform: lambda = generator.nextUnitDouble()
                case .fixed(let value): lambda = value
                }
                for j in 0..<dimension {
                    let ya = Double(targets[a * dimension + j]), yb = Double(targets[partner * dimension + j])
                    result.codes.append(Float((1 - lambda) * ya + lambda * yb))
                }
                result.firstIndices.append(a)
                result.secondIndices.append(partner)
                result.blendWeights.append(lambda)
            }
        }
        return result
    }

    // MARK: - Helpers

    private func checkSampling(neighbours: Int) throws {
        guard targetCount >= 2 else {
            throw TransportError.invalidTargets(field: "targets", expected: "at least 2 targets to blend",
                                                found: "\(targetCount)")
        }
        guard neighbours >= 2 else {
            throw TransportError.invalidArgument(field: "neighbours", expected: "≥ 2", found: "\(neighbours)")
        }
    }

    private func gather(_ indices: [Int]) -> [Float] {
        var codes = [Float](repeating: 0, count: indices.count * dimension)
        for (row, i) in indices.enumerated() {
            for j in 0..<dimension { codes[row * dimension + j] = targets[i * dimension + j] }
        }
        return codes
    }
}
