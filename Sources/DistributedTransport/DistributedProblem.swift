import Transport

/// One rank's part of a semi-discrete problem whose targets are split across ranks
/// (`TargetPartition`): its slice of the normalised targets and of the weights, plus the global
/// facts every rank shares (M, d, the source, the code normalisation, the target spread).
///
/// Built collectively from each rank's slice of the raw codes, it reproduces what one process
/// computes from all codes (`CodeNormalization(fitting:)`, then `SemiDiscreteProblem`) bit for bit:
/// the sums over codes run left to right across the ranks (`Communicator.sequentialFold`) and the
/// maxima are exact. The same checks as `SemiDiscreteProblem` run, globally: finite codes,
/// distinct rows (by a 64-bit hash of every row, gathered on every rank, then confirmed on the
/// values), weights positive and summing to 1.
public struct DistributedProblem: Sendable {
    public let partition: TargetPartition
    /// `d`.
    public let dimension: Int
    /// This rank's normalised targets, row-major `localCount × d`.
    public let targets: [Float]
    /// This rank's weights `ν_i` (normalised to sum 1 over all targets).
    public let targetWeights: [Double]
    public let source: SourceDistribution
    /// The affine map from codes to targets, fitted on all codes.
    public let normalization: CodeNormalization
    /// `max_{i,j} |y_ij - mean_j|` over all normalised targets (as `SemiDiscreteProblem.targetSpread`).
    public let targetSpread: Double

    /// `M`.
    public var targetCount: Int { partition.totalCount }

    /// How the codes are scaled after centring on their mean.
    public enum Scaling: Sendable, Equatable {
        /// The largest absolute centred coordinate becomes 1: `CodeNormalization(fitting:halfWidth: 1)`
        /// (`transport solve --distributed`).
        case maximumCoordinate
        /// The root-mean-square centred coordinate becomes the value: LatentOT's
        /// `TransportJob.normalization(of:dimension:source:rule: .matched)` with the value
        /// `TransportJob.matchedRootMeanSquare(for: source)` (the rule of `latentot train`). Codes
        /// without spread keep the `.maximumCoordinate` scale, as there.
        case rootMeanSquareCoordinate(Double)
    }

    /// - Parameters:
    ///   - codes: this rank's raw codes, row-major `partition.localCount × dimension`.
    ///   - weights: all `M` weights (every rank passes the same array), or nil for uniform.
    /// - Throws: `TransportError` for bad input (the same message on every rank),
    ///   `DistributedError.rankFailed` when another rank's slice is bad, `MPIError`.
    ///   - scaling: the normalisation's scale rule; its sum of squares is folded left to right as
    ///     well, so it is also the single process's to the bit.
    public init(codes: [Float], dimension: Int, partition: TargetPartition, weights: [Double]?,
                source: SourceDistribution, scaling: Scaling = .maximumCoordinate, communicator: any Communicator) throws {
        precondition(partition.rankCount == communicator.size && partition.rank == communicator.rank,
                     "DistributedProblem: partition for rank \(partition.rank) of \(partition.rankCount), communicator rank \(communicator.rank) of \(communicator.size)")
        guard dimension >= 1 else {
            throw TransportError.invalidDimension(field: "dimension", expected: "an integer ≥ 1", found: "\(dimension)")
        }
        try source.validate()
        if case .rootMeanSquareCoordinate(let value) = scaling, !(value > 0 && value.isFinite) {
            throw TransportError.invalidArgument(field: "scaling", expected: "a root-mean-square coordinate > 0", found: "\(value)")
        }
        let localCount = partition.localCount, offset = partition.offset, m = partition.totalCount
        precondition(codes.count == localCount * dimension,
                     "DistributedProblem: \(codes.count) values for \(localCount) codes of dimension \(dimension)")

        // Finite codes (checked on each slice, agreed on by all ranks).
        var localError: Error? = nil
        if let bad = codes.firstIndex(where: { !$0.isFinite }) {
            localError = TransportError.invalidTargets(field: "codes[\(offset + bad / dimension)][\(bad % dimension)]",
                                                       expected: "finite values", found: "\(codes[bad])")
        }
        try communicator.agree(localError)

        // CodeNormalization(fitting:halfWidth: 1): mean left to right, then the largest deviation.
        let centre = try Self.mean(of: codes, dimension: dimension, totalCount: m, communicator: communicator)
        let largest = try communicator.allreduce(Self.largestDeviation(of: codes, from: centre), .max)
        var normalization = CodeNormalization(centre: centre, scale: largest > 0 ? largest / 1 : 1)
        if case .rootMeanSquareCoordinate(let value) = scaling {
            // TransportJob's loop: Σ (code - centre)² over rows then columns, in one Double.
            var squares = [0.0]
            let rows = localCount
            try communicator.sequentialFold(&squares) { sum in
                for i in 0..<rows {
                    for j in 0..<dimension {
                        let centred = Double(codes[i * dimension + j]) - centre[j]
                        sum[0] += centred * centred
                    }
                }
            }
            let rms = (squares[0] / Double(m * dimension)).squareRoot()
            if rms > 0 && rms.isFinite { normalization = CodeNormalization(centre: centre, scale: rms / value) }
        }
        self.normalization = normalization
        let targets = normalization.apply(codes)

        // SemiDiscreteProblem: distinct rows, weights, spread.
        try Self.checkDistinctRows(targets, dimension: dimension, partition: partition, communicator: communicator)
        if let weights {
            guard weights.count == m else {
                throw TransportError.invalidWeights(field: "weights", expected: "\(m) values (one per target)",
                                                    found: "\(weights.count) values")
            }
            if let bad = weights.firstIndex(where: { !$0.isFinite }) {
                throw TransportError.invalidWeights(field: "weights[\(bad)]", expected: "finite values", found: "\(weights[bad])")
            }
            if let bad = weights.firstIndex(where: { $0 <= 0 }) {
                throw TransportError.invalidWeights(field: "weights[\(bad)]", expected: "a value > 0", found: "\(weights[bad])")
            }
            var sum = 0.0
            for w in weights { sum += w }
            guard abs(sum - 1) <= 1e-6 else {
                throw TransportError.invalidWeights(field: "weights", expected: "values that sum to 1 (within 1e-6)",
                                                    found: "a sum of \(sum)")
            }
            targetWeights = partition.localRange.map { weights[$0] / sum }
        } else {
            targetWeights = [Double](repeating: 1 / Double(m), count: localCount)
        }
        let targetMean = try Self.mean(of: targets, dimension: dimension, totalCount: m, communicator: communicator)
        let spread = try communicator.allreduce(Self.largestDeviation(of: targets, from: targetMean), .max)

        self.partition = partition
        self.dimension = dimension
        self.targets = targets
        self.source = source
        self.targetSpread = spread > 0 ? spread : 1
    }

    /// The column means of all ranks' rows, summed left to right (rank order, then row order).
    static func mean(of values: [Float], dimension: Int, totalCount: Int, communicator: any Communicator) throws -> [Double] {
        var mean = [Double](repeating: 0, count: dimension)
        let rows = values.count / dimension
        try communicator.sequentialFold(&mean) { sums in
            for i in 0..<rows { for j in 0..<dimension { sums[j] += Double(values[i * dimension + j]) } }
        }
        for j in 0..<dimension { mean[j] /= Double(totalCount) }
        return mean
    }

    /// `max_{i,j} |v_ij - centre_j|` over this rank's rows.
    static func largestDeviation(of values: [Float], from centre: [Double]) -> Double {
        let dimension = centre.count, rows = values.count / dimension
        var largest = 0.0
        for i in 0..<rows {
            for j in 0..<dimension { largest = max(largest, abs(Double(values[i * dimension + j]) - centre[j])) }
        }
        return largest
    }

    /// FNV-1a over the rows' values (`-0` hashed as `+0`, so equal rows by value hash equally).
    static func rowHash(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in values {
            hash ^= UInt64((v == 0 ? Float(0) : v).bitPattern)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Throws `TransportError.invalidTargets` naming the smallest pair of equal rows (as
    /// `SemiDiscreteProblem`). Every rank gathers all M row hashes (8·M bytes, once); pairs with
    /// equal hashes are confirmed on the values, which their owners broadcast.
    static func checkDistinctRows(_ targets: [Float], dimension: Int, partition: TargetPartition,
                                  communicator: any Communicator) throws {
        let m = partition.totalCount
        if m < 2 { return }
        var hashes = [Int64](repeating: 0, count: m)
        targets.withUnsafeBufferPointer { t in
            for local in 0..<partition.localCount {
                let row = UnsafeBufferPointer(rebasing: t[(local * dimension)..<((local + 1) * dimension)])
                hashes[partition.offset + local] = Int64(bitPattern: rowHash(row))
            }
        }
        try hashes.withUnsafeMutableBufferPointer { try communicator.allreduce($0, .sum) } // one owner per entry: exact
        let order = (0..<m).sorted { hashes[$0] != hashes[$1] ? hashes[$0] < hashes[$1] : $0 < $1 }
        var candidates: [(Int, Int)] = []
        var start = 0
        while start < m {
            var end = start + 1
            while end < m && hashes[order[end]] == hashes[order[start]] { end += 1 }
            if end - start > 1 {
                for a in start..<(end - 1) { for b in (a + 1)..<end { candidates.append((min(order[a], order[b]), max(order[a], order[b]))) } }
            }
            start = end
        }
        candidates.sort { $0 < $1 }
        for (first, second) in candidates {
            let a = try broadcastRow(first, targets: targets, dimension: dimension, partition: partition, communicator: communicator)
            let b = try broadcastRow(second, targets: targets, dimension: dimension, partition: partition, communicator: communicator)
            if a == b {
                throw TransportError.invalidTargets(field: "targets", expected: "distinct target points",
                                                    found: "rows \(first) and \(second) are equal")
            }
        }
    }

    static func broadcastRow(_ index: Int, targets: [Float], dimension: Int, partition: TargetPartition,
                             communicator: any Communicator) throws -> [Float] {
        let owner = partition.owner(of: index)
        var row = [Float](repeating: 0, count: dimension)
        if owner == partition.rank {
            let local = index - partition.offset
            row = Array(targets[(local * dimension)..<((local + 1) * dimension)])
        }
        try row.withUnsafeMutableBytes { try communicator.broadcast($0, root: owner) }
        return row
    }
}
