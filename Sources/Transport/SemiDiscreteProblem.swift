/// A semi-discrete optimal transport problem for the quadratic cost: move the source measure `μ`
/// on R^d onto the discrete measure `ν = Σ_i ν_i δ_{y_i}`.
///
/// Its dual (Brenier) formulation: find heights `h ∈ R^M` minimising the convex energy
///
///   `E(h) = ∫ max_i (<x, y_i> + h_i) dμ(x) - Σ_i ν_i h_i`,   `∂E/∂h_i = μ(W_i(h)) - ν_i`,
///
/// where `W_i(h) = {x : <x, y_i> + h_i ≥ <x, y_j> + h_j ∀ j}` is the power cell of `y_i`. At the
/// minimum every cell holds exactly its weight and `T(x) = y_{argmax_i <x,y_i> + h_i}` is the
/// optimal map.
///
/// The initialiser validates everything a user can get wrong, so a solver never sees bad data.
public struct SemiDiscreteProblem: Sendable {
    /// Target points `y_1..y_M`, flat row-major `M × d`.
    public let targets: [Float]
    /// The dimension `d`.
    public let dimension: Int
    /// Target weights `ν_i > 0`, summing to 1 (renormalised exactly at construction).
    public let targetWeights: [Double]
    /// The source measure `μ`.
    public let source: SourceDistribution
    /// `max_{i,j} |y_ij - mean_j|`: the half-width of the targets' bounding box around their mean.
    /// The solver measures heights in units of `targetSpread · source.coordinateScale`.
    public let targetSpread: Double

    /// The number of targets `M`.
    public var targetCount: Int { targetWeights.count }

    /// - Parameters:
    ///   - targets: flat row-major `M × d` Float array, finite, rows pairwise distinct.
    ///   - dimension: `d ≥ 1`.
    ///   - weights: `ν`, length `M`, each `> 0`, summing to 1 within 1e-6 (relative); `nil` = uniform `1/M`.
    ///   - source: the source measure; default uniform on `[-1, 1]^d`.
    /// - Throws: `TransportError` naming the field, what was expected and what was found.
    /// - Complexity: O(M·d) (rows are hashed to find repeats).
    public init(targets: [Float], dimension: Int, weights: [Double]? = nil,
                source: SourceDistribution = .uniformBox(halfWidth: 1)) throws {
        guard dimension >= 1 else {
            throw TransportError.invalidDimension(field: "dimension", expected: "an integer ≥ 1", found: "\(dimension)")
        }
        guard !targets.isEmpty else {
            throw TransportError.invalidTargets(field: "targets", expected: "at least one target point",
                                                found: "an empty array")
        }
        guard targets.count % dimension == 0 else {
            throw TransportError.invalidTargets(
                field: "targets", expected: "a multiple of dimension \(dimension) values (M × d, row-major)",
                found: "\(targets.count) values")
        }
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.invalidTargets(field: "targets[\(bad / dimension)][\(bad % dimension)]",
                                                expected: "finite values", found: "\(targets[bad])")
        }
        try source.validate()
        let count = targets.count / dimension
        if let (first, second) = SemiDiscreteProblem.repeatedRows(targets, dimension: dimension) {
            throw TransportError.invalidTargets(field: "targets", expected: "distinct target points",
                                                found: "rows \(first) and \(second) are equal")
        }

        var normalisedWeights: [Double]
        if let weights {
            guard weights.count == count else {
                throw TransportError.invalidWeights(field: "weights", expected: "\(count) values (one per target)",
                                                    found: "\(weights.count) values")
            }
            if let bad = weights.firstIndex(where: { !$0.isFinite }) {
                throw TransportError.invalidWeights(field: "weights[\(bad)]", expected: "finite values",
                                                    found: "\(weights[bad])")
            }
            if let bad = weights.firstIndex(where: { $0 <= 0 }) {
                throw TransportError.invalidWeights(field: "weights[\(bad)]", expected: "a value > 0",
                                                    found: "\(weights[bad])")
            }
            var sum = 0.0
            for w in weights { sum += w }
            guard abs(sum - 1) <= 1e-6 else {
                throw TransportError.invalidWeights(field: "weights", expected: "values that sum to 1 (within 1e-6)",
                                                    found: "a sum of \(sum)")
            }
            normalisedWeights = weights
            for i in 0..<count { normalisedWeights[i] /= sum }
        } else {
            normalisedWeights = [Double](repeating: 1 / Double(count), count: count)
        }

        var mean = [Double](repeating: 0, count: dimension)
        for i in 0..<count { for j in 0..<dimension { mean[j] += Double(targets[i * dimension + j]) } }
        for j in 0..<dimension { mean[j] /= Double(count) }
        var spread = 0.0
        for i in 0..<count {
            for j in 0..<dimension { spread = max(spread, abs(Double(targets[i * dimension + j]) - mean[j])) }
        }

        self.targets = targets
        self.dimension = dimension
        self.targetWeights = normalisedWeights
        self.source = source
        self.targetSpread = spread > 0 ? spread : 1
    }

    /// A problem from data the solver built itself (a coarse level of the multiscale solver): no checks.
    init(trustedTargets targets: [Float], dimension: Int, weights: [Double], source: SourceDistribution,
         targetSpread: Double) {
        self.targets = targets
        self.dimension = dimension
        self.targetWeights = weights
        self.source = source
        self.targetSpread = targetSpread
    }

    /// Row `i` of the targets.
    public func target(_ index: Int) -> ArraySlice<Float> {
        targets[(index * dimension)..<((index + 1) * dimension)]
    }

    /// The smallest pair (in lexicographic order) of equal rows (by value; `-0 == 0`), or nil.
    static func repeatedRows(_ targets: [Float], dimension: Int) -> (Int, Int)? {
        let count = targets.count / dimension
        if count < 2 { return nil }
        var keyed = [(hash: Int, row: Int)]()
        keyed.reserveCapacity(count)
        targets.withUnsafeBufferPointer { t in
            for i in 0..<count {
                var hasher = Hasher()
                for j in 0..<dimension {
                    let value = t[i * dimension + j]
                    hasher.combine(value == 0 ? 0 : value) // -0 hashes as +0
                }
                keyed.append((hasher.finalize(), i))
            }
        }
        keyed.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.row < $1.row }
        var found: (Int, Int)? = nil // the smallest pair, whatever the (per-process) hash order
        var start = 0
        while start < count {
            var end = start + 1
            while end < count && keyed[end].hash == keyed[start].hash { end += 1 }
            if end - start > 1 {
                for a in start..<(end - 1) {
                    for b in (a + 1)..<end {
                        let i = keyed[a].row, k = keyed[b].row
                        var equal = true
                        for j in 0..<dimension where targets[i * dimension + j] != targets[k * dimension + j] {
                            equal = false; break
                        }
                        if equal {
                            let pair = (min(i, k), max(i, k))
                            if found == nil || pair < found! { found = pair }
                        }
                    }
                }
            }
            start = end
        }
        return found
    }
}
