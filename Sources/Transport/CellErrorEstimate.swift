import TensorModule

/// How far the cells of some heights are from their target weights, measured by counting `N`
/// source points per cell: with counts `c_i`, the estimated cell measure is `w_i = c_i / N` and the
/// relative cell error of target `i` is
///
///   `r_i = (w_i - ν_i) / ν_i`.
///
/// Counting noise alone makes `|r_i|` about `sqrt((1 - ν_i)/(N ν_i))` (≈ `sqrt(M/N)` for equal
/// weights), so the maximum is meaningful only when `N/M` is in the thousands. The noise-corrected
/// RMS removes the binomial counting variance, `N ν_i (1 - ν_i)`, from each squared error:
///
///   `rms² = (1/M) Σ_i [(c_i - N ν_i)² - N ν_i (1 - ν_i)] / (N ν_i)²`, clamped at 0,
///
/// an unbiased estimate of `(1/M) Σ r_i²` for independent points. (With scrambled Sobol points the
/// counting variance is lower than binomial, so the correction slightly over-subtracts: the RMS then
/// errs on the optimistic side by at most `sqrt(M/N)`-order amounts when the true error is tiny.)
///
/// Estimates must use fresh points, independent of the points a solver trained on: those
/// under-report the error.
public struct CellErrorEstimate: Codable, Sendable, Equatable {
    /// `max_i |r_i|`.
    public var maxRelativeError: Double
    /// `(1/M) Σ_i |r_i|`.
    public var meanRelativeError: Double
    /// The noise-corrected RMS defined above.
    public var rmsRelativeError: Double
    /// `sqrt((1/M) Σ_i r_i²)` before the noise correction.
    public var rawRmsRelativeError: Double
    /// The RMS of pure counting noise, `sqrt((1/M) Σ_i (1 - ν_i)/(N ν_i))`: errors below it cannot be seen.
    public var noiseFloor: Double
    /// Cells that received no point.
    public var emptyCells: Int
    /// The target with the largest `|r_i|`.
    public var worstCell: Int
    /// `N`, the number of points counted (0: exact cell masses, no sampling).
    public var sampleCount: Int

    /// The estimate from cell counts (`counts.count == weights.count == M`, `Σ counts = sampleCount`).
    public init(counts: [Int], sampleCount: Int, weights: [Double]) {
        precondition(counts.count == weights.count && !counts.isEmpty && sampleCount > 0,
                     "CellErrorEstimate: \(counts.count) counts, \(weights.count) weights, \(sampleCount) samples")
        var sums = Sums()
        sums.add(counts: counts, weights: weights, sampleCount: sampleCount)
        self = sums.estimate(cellCount: counts.count, sampleCount: sampleCount)
    }

    /// The running sums behind an estimate, accumulated cell by cell in index order, so counts split
    /// into consecutive slices (e.g. across processes) give the same bits as all counts at once.
    public struct Sums: Sendable, Equatable {
        public var maximum = 0.0, worst = 0, sumAbsolute = 0.0, sumCorrected = 0.0, sumSquared = 0.0
        public var sumNoise = 0.0, empty = 0

        public init() {}

        /// Adds the cells `offset ..< offset + counts.count` (their counts and weights `ν_i`).
        public mutating func add(counts: [Int], weights: [Double], sampleCount: Int, offset: Int = 0) {
            let n = Double(sampleCount)
            for i in 0..<counts.count {
                let expected = n * weights[i]
                let difference = Double(counts[i]) - expected
                let relative = abs(difference) / expected
                if relative > maximum { maximum = relative; worst = offset + i }
                sumAbsolute += relative
                sumSquared += relative * relative
                let variance = expected * (1 - weights[i])
                sumCorrected += (difference * difference - variance) / (expected * expected)
                sumNoise += variance / (expected * expected)
                if counts[i] == 0 { empty += 1 }
            }
        }

        /// Adds cells whose masses are known exactly: no counting noise to correct for.
        public mutating func add(exactMasses masses: [Double], weights: [Double]) {
            for i in 0..<masses.count {
                let relative = abs(masses[i] / weights[i] - 1)
                if relative > maximum { maximum = relative; worst = i }
                sumAbsolute += relative
                sumSquared += relative * relative
                sumCorrected += relative * relative
                if masses[i] == 0 { empty += 1 }
            }
        }

        /// The estimate of `cellCount` cells counted with `sampleCount` points (0: exact masses).
        public func estimate(cellCount: Int, sampleCount: Int) -> CellErrorEstimate {
            let m = Double(cellCount)
            return CellErrorEstimate(maxRelativeError: maximum, meanRelativeError: sumAbsolute / m,
                                     rmsRelativeError: max(0, sumCorrected / m).squareRoot(),
                                     rawRmsRelativeError: (sumSquared / m).squareRoot(),
                                     noiseFloor: (sumNoise / m).squareRoot(), emptyCells: empty, worstCell: worst,
                                     sampleCount: sampleCount)
        }
    }

    /// The errors of exact cell masses `μ(W_i)` (e.g. `PowerDiagram2D`'s): no counting noise, so the
    /// RMS needs no correction, the noise floor is 0 and `sampleCount` is 0.
    public init(exactMasses masses: [Double], weights: [Double]) {
        precondition(masses.count == weights.count && !masses.isEmpty,
                     "CellErrorEstimate: \(masses.count) masses, \(weights.count) weights")
        var sums = Sums()
        sums.add(exactMasses: masses, weights: weights)
        self = sums.estimate(cellCount: masses.count, sampleCount: 0)
    }

    private init(maxRelativeError: Double, meanRelativeError: Double, rmsRelativeError: Double,
                 rawRmsRelativeError: Double, noiseFloor: Double, emptyCells: Int, worstCell: Int, sampleCount: Int) {
        self.maxRelativeError = maxRelativeError
        self.meanRelativeError = meanRelativeError
        self.rmsRelativeError = rmsRelativeError
        self.rawRmsRelativeError = rawRmsRelativeError
        self.noiseFloor = noiseFloor
        self.emptyCells = emptyCells
        self.worstCell = worstCell
        self.sampleCount = sampleCount
    }

    /// Measures the cells of `heights` on `pointCount` fresh source points of `problem.source`.
    ///
    /// - Parameters:
    ///   - seed: chooses the points (the Sobol scramble, or the random stream); use a seed that the
    ///     solver did not train with (`SemiDiscreteSolver` derives its own streams from its seed).
    ///   - start: index of the first point in that sequence, so repeated measurements can use
    ///     disjoint points.
    /// - Throws: `TransportError.invalidHeights` if `heights` has the wrong length or is not finite,
    ///   `.invalidArgument` if `pointCount < 1`.
    public static func measure(problem: SemiDiscreteProblem, heights: [Double], pointCount: Int, seed: UInt64,
                               sampling: PointSampling = .scrambledSobol, start: Int = 0) throws -> CellErrorEstimate {
        try validate(heights: heights, targetCount: problem.targetCount)
        guard pointCount >= 1 else {
            throw TransportError.invalidArgument(field: "pointCount", expected: "≥ 1", found: "\(pointCount)")
        }
        let cells = PowerCells(targets: problem.targets, dimension: problem.dimension)
        return measure(problem: problem, cells: cells, heights: heights, pointCount: pointCount, seed: seed,
                       sampling: sampling, start: start)
    }

    static func measure(problem: SemiDiscreteProblem, cells: PowerCells, heights: [Double], pointCount: Int,
                        seed: UInt64, sampling: PointSampling, start: Int) -> CellErrorEstimate {
        let padded = cells.paddedHeights(heights)
        defer { padded.deallocate() }
        let points: CellCounts.Points
        switch sampling {
        case .scrambledSobol: points = .sequence(SobolSequence(dimension: problem.dimension, scrambleSeed: seed))
        case .independentRandom: points = .random(seed: seed)
        }
        let counts = CellCounts.measure(cells: cells, source: problem.source, points: points, start: start,
                                        count: pointCount, heights: padded)
        return CellErrorEstimate(counts: counts.counts, sampleCount: pointCount, weights: problem.targetWeights)
    }

    static func validate(heights: [Double], targetCount: Int, field: String = "heights") throws {
        guard heights.count == targetCount else {
            throw TransportError.invalidHeights(field: field, expected: "\(targetCount) values (one per target)",
                                                found: "\(heights.count) values")
        }
        if let bad = heights.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.invalidHeights(field: "\(field)[\(bad)]", expected: "finite values", found: "\(heights[bad])")
        }
    }
}
