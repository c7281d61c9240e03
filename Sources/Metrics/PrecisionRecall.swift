/// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of
/// balls reaching each point's k-th nearest neighbour within the set; precision is the fraction of
/// generated points inside the real manifold, recall the fraction of real points inside the
/// generated one.
public struct PrecisionRecall: Codable, Equatable, Sendable {
    public var precision: Double
    public var recall: Double
    public var neighbourCount: Int

    public init(real: [Float], generated: [Float], dimension d: Int, k: Int = 3) {
        self.init(real: real, realRadii: PrecisionRecall.radii(real, dimension: d, k: k), generated: generated, dimension: d, k: k)
    }

    /// The same, with the real set's radii (`radii(real, …)`) computed once for many generated sets.
    public init(real: [Float], realRadii: [Float], generated: [Float], dimension d: Int, k: Int = 3) {
        precondition(realRadii.count * d == real.count, "PrecisionRecall: \(realRadii.count) radii for \(real.count / max(d, 1)) real points")
        neighbourCount = k
        let generatedRadii = PrecisionRecall.radii(generated, dimension: d, k: k)
        precision = PrecisionRecall.coveredFraction(points: generated, centres: real, radii: realRadii, dimension: d)
        recall = PrecisionRecall.coveredFraction(points: real, centres: generated, radii: generatedRadii, dimension: d)
    }

    /// Each point's distance to its k-th nearest neighbour among the others: the radius of its ball.
    public static func radii(_ points: [Float], dimension d: Int, k: Int) -> [Float] {
        NearestNeighbours.distances(queries: points, references: points, dimension: d, k: k, excludeSelf: true).map { $0[k - 1] }
    }

    /// Fraction of `points` inside at least one ball (centre_j, radius_j).
    static func coveredFraction(points: [Float], centres: [Float], radii: [Float], dimension d: Int) -> Double {
        let inside = NearestNeighbours.scan(queries: points, references: centres, dimension: d, initial: false) { covered, _, j, squared in
            if !covered && squared <= radii[j] * radii[j] { covered = true }
        }
        return inside.isEmpty ? 0 : Double(inside.filter { $0 }.count) / Double(inside.count)
    }
}
