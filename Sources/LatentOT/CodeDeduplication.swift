/// Identical codes (duplicate images) would share one power cell and leave the other empty, so the
/// transport problem merges them: one target per distinct code, its weight the sum of the copies'.
public enum CodeDeduplication {
    /// Distinct rows of `codes` (first occurrence order) with their summed weights (uniform input
    /// weights 1/n when `weights` is nil).
    public static func merge(_ codes: [Float], dimension d: Int, weights: [Double]? = nil) -> (codes: [Float], weights: [Double], duplicateCount: Int) {
        let n = codes.count / d
        var firstIndex: [ArraySlice<Float>: Int] = [:]
        var unique: [Float] = [], merged: [Double] = []
        unique.reserveCapacity(codes.count)
        for i in 0..<n {
            let row = codes[(i * d)..<((i + 1) * d)]
            let weight = weights?[i] ?? 1 / Double(n)
            if let existing = firstIndex[row] {
                merged[existing] += weight
            } else {
                firstIndex[row] = merged.count
                unique.append(contentsOf: row)
                merged.append(weight)
            }
        }
        let total = merged.reduce(0, +)
        return (unique, merged.map { $0 / total }, n - merged.count)
    }

    /// Like `merge`, but rows are compared after `normalise` (e.g. the transport's normalisation of
    /// the merged codes): codes that differ only in their last bits can round to the same normalised
    /// target, which would again give two targets one cell. Repeats until no two normalised rows
    /// are equal (the normalisation is refitted to each merged set); the rows kept are the originals.
    public static func merge(_ codes: [Float], dimension d: Int, weights: [Double]? = nil,
                             comparingAfter normalise: ([Float]) throws -> [Float]) rethrows
        -> (codes: [Float], weights: [Double], duplicateCount: Int) {
        let n = codes.count / d
        var current = merge(codes, dimension: d, weights: weights)
        for _ in 0..<8 {
            let normalised = try normalise(current.codes)
            let byNormalised = merge(normalised, dimension: d, weights: current.weights)
            if byNormalised.duplicateCount == 0 { break }
            // Keep the first original row of each normalised class, with the class's summed weight.
            var seen: [ArraySlice<Float>: Int] = [:]
            var kept: [Float] = [], keptWeights: [Double] = []
            let m = current.codes.count / d
            for i in 0..<m {
                let key = normalised[(i * d)..<((i + 1) * d)]
                if let existing = seen[key] {
                    keptWeights[existing] += current.weights[i]
                } else {
                    seen[key] = keptWeights.count
                    kept.append(contentsOf: current.codes[(i * d)..<((i + 1) * d)])
                    keptWeights.append(current.weights[i])
                }
            }
            current = (kept, keptWeights, n - keptWeights.count)
        }
        return current
    }
}
