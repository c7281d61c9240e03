import Transport

/// `CellErrorEstimate` from cell counts split across ranks: the statistics loop of
/// `CellErrorEstimate.init(counts:sampleCount:weights:)` runs left to right across the ranks
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
        let n = Double(sampleCount), m = Double(totalCount)
        // maximum, worst, sumAbsolute, sumCorrected, sumSquared, sumNoise, empty, extra...
        var state = [Double](repeating: 0, count: 7 + extraCount)
        try communicator.sequentialFold(&state) { s in
            var maximum = s[0], worst = s[1], sumAbsolute = s[2], sumCorrected = s[3], sumSquared = s[4], sumNoise = s[5]
            var empty = s[6]
            for i in 0..<counts.count {
                let expected = n * weights[i]
                let difference = Double(counts[i]) - expected
                let relative = abs(difference) / expected
                if relative > maximum { maximum = relative; worst = Double(offset + i) }
                sumAbsolute += relative
                sumSquared += relative * relative
                let variance = expected * (1 - weights[i])
                sumCorrected += (difference * difference - variance) / (expected * expected)
                sumNoise += variance / (expected * expected)
                if counts[i] == 0 { empty += 1 }
            }
            s[0] = maximum; s[1] = worst; s[2] = sumAbsolute; s[3] = sumCorrected; s[4] = sumSquared; s[5] = sumNoise
            s[6] = empty
            extra?(&s)
        }
        var estimate = CellErrorEstimate(counts: [0], sampleCount: 1, weights: [1])
        estimate.maxRelativeError = state[0]
        estimate.meanRelativeError = state[2] / m
        estimate.rmsRelativeError = max(0, state[3] / m).squareRoot()
        estimate.rawRmsRelativeError = (state[4] / m).squareRoot()
        estimate.noiseFloor = (state[5] / m).squareRoot()
        estimate.emptyCells = Int(state[6])
        estimate.worstCell = Int(state[1])
        estimate.sampleCount = sampleCount
        return (estimate, Array(state[7...]))
    }
}
