import TensorModule

/// Exact nearest-neighbour queries between row sets, by tiled GEMM (|a|² + |b|² − 2ab):
/// never an n×m matrix in memory, all cores used.
public enum NearestNeighbours {
    /// For each row of `queries`, the Euclidean distances to its `k` nearest rows of `references`
    /// (ascending), skipping the row with the same index when `excludeSelf` (queries == references).
    public static func distances(queries: [Float], references: [Float], dimension d: Int, k: Int,
                                 excludeSelf: Bool = false) -> [[Float]] {
        let m = references.count / max(d, 1)
        precondition(k >= 1 && m - (excludeSelf ? 1 : 0) >= k, "NearestNeighbours: \(m) references for k = \(k)")
        return scan(queries: queries, references: references, dimension: d, initial: [Float]()) { best, query, reference, squared in
            if excludeSelf && reference == query { return }
            if best.count < k {
                best.append(squared); best.sort()
            } else if squared < best[k - 1] {
                best[k - 1] = squared; best.sort()
            }
        }.map { $0.map { $0.squareRoot() } }
    }

    /// Visits every squared distance |q_i − r_j|² once, folding it into a per-query state.
    /// Queries are split into blocks processed in parallel; each query's state sees references in order.
    public static func scan<State>(queries: [Float], references: [Float], dimension d: Int, initial: State,
                                   _ visit: (inout State, _ query: Int, _ reference: Int, _ squared: Float) -> Void) -> [State] {
        precondition(d > 0 && queries.count % d == 0 && references.count % d == 0,
                     "NearestNeighbours: sizes \(queries.count), \(references.count) for dimension \(d)")
        let n = queries.count / d, m = references.count / d
        func norms(_ x: UnsafeBufferPointer<Float>, _ count: Int) -> [Float] {
            (0..<count).map { i in (0..<d).reduce(Float(0)) { $0 + x[i * d + $1] * x[i * d + $1] } }
        }
        var states = [State](repeating: initial, count: n)
        let blocks = Parallel.ranges(n, minimumChunk: 64)
        let tile = 2048
        queries.withUnsafeBufferPointer { q in
            references.withUnsafeBufferPointer { r in
                let queryNorms = norms(q, n), referenceNorms = norms(r, m)
                states.withUnsafeMutableBufferPointer { output in
                    Parallel.forEach(blocks.count) { b in
                        let range = blocks[b]
                        var scores = [Float](repeating: 0, count: range.count * min(tile, max(m, 1)))
                        for start in stride(from: 0, to: m, by: tile) {
                            let width = min(tile, m - start)
                            scores.withUnsafeMutableBufferPointer { s in
                                BLAS.sgemm(.none, .transpose, m: range.count, n: width, k: d,
                                           a: q.baseAddress! + range.lowerBound * d, lda: d,
                                           b: r.baseAddress! + start * d, ldb: d, c: s.baseAddress!, ldc: width)
                            }
                            for i in 0..<range.count {
                                let query = range.lowerBound + i
                                for j in 0..<width {
                                    let reference = start + j
                                    let squared = max(0, queryNorms[query] + referenceNorms[reference] - 2 * scores[i * width + j])
                                    visit(&output[query], query, reference, squared)
                                }
                            }
                        }
                    }
                }
            }
        }
        return states
    }
}
