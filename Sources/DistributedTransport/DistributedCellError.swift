import Transport

/// `CellErrorEstimate` from cell counts split across ranks: `CellErrorEstimate.Sums.add` runs left to
/// right across the ranks
/// (`Communicator.sequentialFold`), so every rank gets the estimate one process would compute from
/// all counts, bit for bit. The fold carries 7 Doubles (+ `extra` ones), whatever M.
enum DistributedCellError {
    /// - Parameters:
    ///   - counts: this rank's cell counts (its targets, in order).
    ///   - weights: this rank's weights.
    ///   - extra: more running sums to fold in the same pass: called with the state after the
    ///     statistics; it appends nothing and updates `state[7...]` (e.g. `Σ ν_i h_i`).
    static func estimate(counts: [Int], sampleCount: Int, weights: [Double], offset: Int, totalCount: Int,
                         communicator: any Communicator, extraCount: Int = 0,
                         extra: ((inout [Double]) -> Void)? = nil) throws -> (CellErrorEstimate, [Double]) {
        precondition(counts.count == weights.count && sampleCount > 0,
                     "DistributedCellError: \(counts.count) counts, \(weights.count) weights, \(sampleCount) samples")
        // maximum, worst, sumAbsolute, sumCorrected, sumSquared, sumNoise, empty, extra...
        var state = [Double](repeating: 0, count: 7 + extraCount)
        try communicator.sequentialFold(&state) { s in
            var sums = CellErrorEstimate.Sums()
            sums.maximum = s[0]; sums.worst = Int(s[1]); sums.sumAbsolute = s[2]; sums.sumCorrected = s[3]
            sums.sumSquared = s[4]; sums.sumNoise = s[5]; sums.empty = Int(s[6])
            sums.add(counts: counts, weights: weights, sampleCount: sampleCount, offset: offset)
            s[0] = sums.maximum; s[1] = Double(sums.worst); s[2] = sums.sumAbsolute; s[3] = sums.sumCorrected
            s[4] = sums.sumSquared; s[5] = sums.sumNoise; s[6] = Double(sums.empty)
            extra?(&s)
        }
        var sums = CellErrorEstimate.Sums()
        sums.maximum = state[0]; sums.worst = Int(state[1]); sums.sumAbsolute = state[2]; sums.sumCorrected = state[3]
        sums.sumSquared = state[4]; sums.sumNoise = state[5]; sums.empty = Int(state[6])
        let estimate = sums.estimate(cellCount: totalCount, sampleCount: sampleCount)
        return (estimate, Array(state[7...]))
    }
}
