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
}
