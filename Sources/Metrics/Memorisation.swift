/// Memorisation: the fraction of generated points closer to their nearest training point than the
/// 1st percentile of test-to-training nearest-neighbour distances (real unseen data is that close to
/// the training set only 1 % of the time, so a copying generator scores near 1).
public struct Memorisation: Codable, Equatable, Sendable {
    public var fraction: Double
    public var threshold: Double

    public init(generated: [Float], training: [Float], test: [Float], dimension d: Int, percentile: Double = 0.01) {
        let testDistances = NearestNeighbours.distances(queries: test, references: training, dimension: d, k: 1).map { $0[0] }.sorted()
        precondition(!testDistances.isEmpty, "Memorisation: empty test set")
        let index = min(testDistances.count - 1, max(0, Int((Double(testDistances.count) * percentile).rounded(.down))))
        let limit = Double(testDistances[index])
        threshold = limit
        let generatedDistances = NearestNeighbours.distances(queries: generated, references: training, dimension: d, k: 1).map { $0[0] }
        let close = generatedDistances.filter { Double($0) < limit }.count
        fraction = generatedDistances.isEmpty ? 0 : Double(close) / Double(generatedDistances.count)
    }
}
