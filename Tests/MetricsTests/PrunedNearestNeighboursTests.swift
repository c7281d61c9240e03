import Testing
import TensorModule
import Metrics

/// The pruned search must return the brute-force nearest distance exactly (up to Float rounding of
/// a direct sum), whatever the data: structured (low-rank, where the bound prunes), unstructured
/// (where it does not), and copies (distance 0).
@Suite struct PrunedNearestNeighboursTests {
    /// Brute force in Double, the direct sum of squared differences.
    func bruteForce(_ queries: [Float], _ references: [Float], _ d: Int) -> [Double] {
        let n = queries.count / d, m = references.count / d
        return (0..<n).map { i in
            var best = Double.infinity
            for j in 0..<m {
                var total = 0.0
                for k in 0..<d { let diff = Double(queries[i * d + k]) - Double(references[j * d + k]); total += diff * diff }
                best = min(best, total)
            }
            return best.squareRoot()
        }
    }

    /// Rows near a rank-`rank` subspace plus small noise: pixel images behave like this.
    func lowRankRows(_ count: Int, dimension d: Int, rank: Int, noise: Double, seed: UInt64) -> [Float] {
        var basisGenerator = SeededGenerator(seed: 99)
        let basis = (0..<(rank * d)).map { _ in basisGenerator.nextGaussian() }
        var rng = SeededGenerator(seed: seed)
        var rows = [Float](repeating: 0, count: count * d)
        for i in 0..<count {
            let weights = (0..<rank).map { _ in rng.nextGaussian() }
            for k in 0..<d {
                var value = noise * rng.nextGaussian()
                for r in 0..<rank { value += weights[r] * basis[r * d + k] }
                rows[i * d + k] = Float(value)
            }
        }
        return rows
    }

    @Test(arguments: [(0.05, 20), (1.0, 20), (0.05, 300)])
    func matchesBruteForce(noise: Double, rank: Int) {
        let d = 256
        let references = lowRankRows(700, dimension: d, rank: rank, noise: noise, seed: 1)
        var queries = lowRankRows(90, dimension: d, rank: rank, noise: noise, seed: 2)
        // Exact copies and near-copies of references among the queries.
        for k in 0..<d { queries[k] = references[5 * d + k]; queries[d + k] = references[6 * d + k] + 1e-3 }
        let pruned = PrunedNearestNeighbours.distances(queries: queries, references: references, dimension: d, rank: 16)
        let exact = bruteForce(queries, references, d)
        #expect(pruned.count == exact.count)
        #expect(pruned[0] == 0)
        for (p, e) in zip(pruned, exact) { #expect(abs(Double(p) - e) <= 1e-4 * max(1, e)) }
    }

    /// Identical references (every bound ties) and a dimension below 4·rank (the plain scan).
    @Test func handlesTiesAndSmallDimensions() {
        let d = 64
        let references = [Float](repeating: 0.5, count: 50 * d)
        let queries = (0..<(3 * d)).map { Float($0 % 7) / 7 }
        let pruned = PrunedNearestNeighbours.distances(queries: queries, references: references, dimension: d, rank: 8)
        for (p, e) in zip(pruned, bruteForce(queries, references, d)) { #expect(abs(Double(p) - e) <= 1e-4 * max(1, e)) }
        let small = PrunedNearestNeighbours.distances(queries: queries, references: references, dimension: d, rank: 48)
        for (p, e) in zip(small, bruteForce(queries, references, d)) { #expect(abs(Double(p) - e) <= 1e-3 * max(1, e)) }
    }

    /// The basis is orthonormal even when the data span fewer directions than the rank.
    @Test func basisIsOrthonormal() {
        let d = 40, k = 8
        let references = lowRankRows(100, dimension: d, rank: 3, noise: 0, seed: 3)
        let basis = PrincipalBasis(references, dimension: d, rank: k)
        for a in 0..<k {
            for b in 0..<k {
                var dot = 0.0
                for j in 0..<d { dot += Double(basis.rows[a * d + j]) * Double(basis.rows[b * d + j]) }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
            }
        }
    }
}
