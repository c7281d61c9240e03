import TensorModule

/// The power diagram of planar targets clipped to the source square `[-a, a]²`, computed exactly:
///
///   `W_i = { x ∈ [-a, a]² : <x, y_i> + h_i ≥ <x, y_j> + h_j for every j }`,
///
/// each cell the square cut by the half-planes `<x, y_j - y_i> ≤ h_i - h_j` (a convex polygon, clipped
/// one half-plane at a time). Under the uniform source on the square this gives, with no sampling:
///
/// - the cell masses `μ(W_i) = area(W_i) / (2a)²` (the gradient of the energy is `μ(W_i) - ν_i`);
/// - the facet weights `A_ij = length(W_i ∩ W_j) / (|y_i - y_j| (2a)²)`, so that
///   `∂μ(W_i)/∂h_j = -A_ij` (j ≠ i) and `∂μ(W_i)/∂h_i = Σ_j A_ij`: the Hessian is the Laplacian of `A`;
/// - `∫ u_h dμ = Σ_i μ(W_i) (<c_i, y_i> + h_i)`, `c_i` the centroid of `W_i` (the energy's first term).
///
/// - Complexity: O(M² · v) for M targets and cells of at most v vertices (every pair is tested
///   against the cell's current vertices; pairs that do not cut it cost one test per vertex).
public struct PowerDiagram2D: Sendable {
    /// `μ(W_i)`, summing to 1 up to rounding.
    public var masses: [Double]
    /// `∫ u_h dμ`.
    public var potentialIntegral: Double
    /// Facets `(i, j, A_ij)` with `i < j` and a shared edge of positive length.
    public var facets: [(low: Int32, high: Int32, weight: Double)]

    /// - Parameters:
    ///   - targets: row-major `M × 2` (distinct rows).
    ///   - heights: `M` finite heights.
    ///   - halfWidth: `a`, the square's half-width.
    public init(targets: [Float], heights: [Double], halfWidth a: Double) {
        let m = heights.count
        precondition(targets.count == 2 * m, "PowerDiagram2D: \(targets.count) coordinates for \(m) heights")
        let xs = (0..<m).map { Double(targets[2 * $0]) }, ys = (0..<m).map { Double(targets[2 * $0 + 1]) }
        let squareArea = 4 * a * a
        // Cells are independent: clipped in parallel, each into its own slot, then summed in index
        // order (the same bits for any number of cores).
        var areas = [Double](repeating: 0, count: m), potentials = [Double](repeating: 0, count: m)
        var edges = [[(key: Int, length: Double)]](repeating: [], count: m)
        areas.withUnsafeMutableBufferPointer { areaSlots in
            potentials.withUnsafeMutableBufferPointer { potentialSlots in
                edges.withUnsafeMutableBufferPointer { edgeSlots in
                    let chunks = Parallel.ranges(m, maxChunks: Parallel.coreCount * 4, minimumChunk: 64)
                    Parallel.forEach(chunks.count) { c in
                        var polygon = Polygon(capacity: 64), scratch = Polygon(capacity: 64)
                        for i in chunks[c] {
                            polygon.setSquare(halfWidth: a)
                            for j in 0..<m where j != i {
                                // <x, y_j - y_i> ≤ h_i - h_j
                                polygon.clip(normalX: xs[j] - xs[i], normalY: ys[j] - ys[i], bound: heights[i] - heights[j],
                                             label: Int32(j), scratch: &scratch)
                                if polygon.count == 0 { break }
                            }
                            let (area, cx, cy) = polygon.areaAndCentroid()
                            guard area > 0 else { continue }
                            areaSlots[i] = area
                            potentialSlots[i] = area / squareArea * (cx * xs[i] + cy * ys[i] + heights[i])
                            for k in 0..<polygon.count where polygon.labels[k] >= 0 {
                                let j = Int(polygon.labels[k])
                                let next = (k + 1) % polygon.count
                                let dx = polygon.xs[next] - polygon.xs[k], dy = polygon.ys[next] - polygon.ys[k]
                                let length = (dx * dx + dy * dy).squareRoot()
                                if length > 0 { edgeSlots[i].append((min(i, j) * m + max(i, j), length)) }
                            }
                        }
                    }
                }
            }
        }
        masses = areas.map { $0 / squareArea }
        potentialIntegral = potentials.reduce(0, +)
        // Facet lengths seen from both sides, keyed by the pair (summed, then halved).
        var lengths: [Int: Double] = [:]
        for cellEdges in edges { for edge in cellEdges { lengths[edge.key, default: 0] += edge.length } }
        facets = lengths.keys.sorted().compactMap { key in
            let i = key / m, j = key % m
            let dx = xs[j] - xs[i], dy = ys[j] - ys[i]
            let distance = (dx * dx + dy * dy).squareRoot()
            guard distance > 0 else { return nil }
            return (Int32(i), Int32(j), 0.5 * lengths[key]! / (distance * squareArea))
        }
    }

    /// A convex polygon; `labels[k]` names the target whose half-plane made the edge from vertex `k`
    /// to vertex `k + 1` (-1: the square's side).
    struct Polygon {
        var xs: [Double], ys: [Double], labels: [Int32]
        var count: Int { xs.count }

        init(capacity: Int) {
            xs = []; ys = []; labels = []
            xs.reserveCapacity(capacity); ys.reserveCapacity(capacity); labels.reserveCapacity(capacity)
        }

        /// Resets to the square `[-a, a]²` (keeping the storage: one polygon serves every cell of a chunk).
        mutating func setSquare(halfWidth a: Double) {
            xs.removeAll(keepingCapacity: true); ys.removeAll(keepingCapacity: true); labels.removeAll(keepingCapacity: true)
            for (x, y) in [(-a, -a), (a, -a), (a, a), (-a, a)] { xs.append(x); ys.append(y); labels.append(-1) }
        }

        /// This polygon ∩ `{x : <x, n> ≤ bound}` (Sutherland–Hodgman on one half-plane); `scratch`
        /// holds the result while it is built (most half-planes miss the cell and cost one test per vertex).
        mutating func clip(normalX nx: Double, normalY ny: Double, bound: Double, label: Int32, scratch output: inout Polygon) {
            let n = count
            var allInside = true, anyInside = false
            for k in 0..<n {
                let inside = xs[k] * nx + ys[k] * ny <= bound
                allInside = allInside && inside
                anyInside = anyInside || inside
            }
            if allInside { return }
            if !anyInside {
                xs.removeAll(keepingCapacity: true); ys.removeAll(keepingCapacity: true); labels.removeAll(keepingCapacity: true)
                return
            }
            output.xs.removeAll(keepingCapacity: true)
            output.ys.removeAll(keepingCapacity: true)
            output.labels.removeAll(keepingCapacity: true)
            for k in 0..<n {
                let next = (k + 1) % n
                let f0 = xs[k] * nx + ys[k] * ny - bound, f1 = xs[next] * nx + ys[next] * ny - bound
                if f0 <= 0 {
                    output.xs.append(xs[k]); output.ys.append(ys[k])
                    if f1 > 0 {
                        // Leaves the half-plane on this edge: the kept part keeps its label, and the
                        // edge from the exit point runs along the clipping line.
                        output.labels.append(labels[k])
                        let t = f0 / (f0 - f1)
                        output.xs.append(xs[k] + t * (xs[next] - xs[k])); output.ys.append(ys[k] + t * (ys[next] - ys[k]))
                        output.labels.append(label)
                    } else {
                        output.labels.append(labels[k])
                    }
                } else if f1 <= 0 {
                    // Enters on this edge: from the entry point the original edge continues.
                    let t = f0 / (f0 - f1)
                    output.xs.append(xs[k] + t * (xs[next] - xs[k])); output.ys.append(ys[k] + t * (ys[next] - ys[k]))
                    output.labels.append(labels[k])
                }
            }
            swap(&self, &output)
        }

        /// Area (shoelace formula) and centroid; `(0, 0, 0)` for a degenerate polygon.
        func areaAndCentroid() -> (area: Double, x: Double, y: Double) {
            let n = count
            guard n >= 3 else { return (0, 0, 0) }
            var twiceArea = 0.0, sx = 0.0, sy = 0.0
            for k in 0..<n {
                let next = (k + 1) % n
                let cross = xs[k] * ys[next] - xs[next] * ys[k]
                twiceArea += cross
                sx += (xs[k] + xs[next]) * cross
                sy += (ys[k] + ys[next]) * cross
            }
            guard twiceArea > 0 else { return (0, 0, 0) }
            return (0.5 * twiceArea, sx / (3 * twiceArea), sy / (3 * twiceArea))
        }
    }
}
