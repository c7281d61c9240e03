/// Energy distance between two samples (Székely & Rizzo):
/// D² = 2·E|X−Y| − E|X−X'| − E|Y−Y'|, zero exactly when the distributions agree; the within-sample
/// means exclude the diagonal so the estimate is unbiased.
/// - Complexity: O((n + m)²·d); meant for toy-sized samples (a few thousand points).
public enum EnergyDistance {
    public static func compute(_ a: [Float], _ b: [Float], dimension: Int) -> Double {
        precondition(dimension > 0 && a.count % dimension == 0 && b.count % dimension == 0,
                     "EnergyDistance: sizes \(a.count), \(b.count) not multiples of dimension \(dimension)")
        let n = a.count / dimension, m = b.count / dimension
        precondition(n >= 2 && m >= 2, "EnergyDistance: needs at least two points per sample, got \(n) and \(m)")
        func meanDistance(_ x: [Float], _ nx: Int, _ y: [Float], _ ny: Int, excludeDiagonal: Bool) -> Double {
            var total = 0.0
            for i in 0..<nx {
                var row = 0.0
                for j in 0..<ny where !(excludeDiagonal && i == j) {
                    var squared: Float = 0
                    for k in 0..<dimension {
                        let difference = x[i * dimension + k] - y[j * dimension + k]
                        squared += difference * difference
                    }
                    row += Double(squared.squareRoot())
                }
                total += row
            }
            return total / Double(excludeDiagonal ? nx * (ny - 1) : nx * ny)
        }
        let cross = meanDistance(a, n, b, m, excludeDiagonal: false)
        let withinA = meanDistance(a, n, a, n, excludeDiagonal: true)
        let withinB = meanDistance(b, m, b, m, excludeDiagonal: true)
        return 2 * cross - withinA - withinB
    }
}
