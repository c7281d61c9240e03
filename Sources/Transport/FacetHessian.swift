/// An estimate of the Hessian of the energy, `∂w_i/∂h_j`, from the top-2 assignment of sampled points.
///
/// The Hessian is the weighted graph Laplacian of the power diagram, `L = D - A`, with
///
///   `A_ij = (1/|y_i - y_j|) ∫_{W_i ∩ W_j} ρ dσ`   (the source mass on the shared facet, per unit of score),
///   `D_i = Σ_j A_ij`.
///
/// Estimate. The points whose best and second-best targets are `i` and `j` (either order) lie in
/// the parts of both cells where facet `ij` is the nearest in score units; their gaps
/// `|s_i - s_j|` are `|y_i - y_j|` times their distance to the facet. So the points with a gap below
/// `δ` fill two slabs of width `δ/|y_i - y_j|` along the facet, of mass `2δ A_ij`:
///
///   `A_ij ≈ #{gap < δ} / (2 N δ)`,   `δ` = a quarter of the pair's mean gap.
///
/// (Checked against finite differences of the cell masses: within about 10 % on uniform targets.)
/// A pair with fewer than `slabMinimum` points in its slabs (the facets of small cells) uses the
/// pyramid estimate instead, which uses all its `n` points and gap sum `G` and assumes each side
/// is a pyramid on the facet (gap density `∝ (1 - t/H)^(d-1)`): `A_ij ≈ κ_d n² / (2 N G)`,
/// `κ_d = d/(d+1)`. It is a preconditioner: its bias only costs steps.
///
/// - Complexity: O(N + M) to build (counting sorts), O(nonzeros) per product.
struct FacetHessian {
    /// Points a facet's slab must hold for the slab estimate to be used.
    static let slabMinimum = 4

    let size: Int
    /// Symmetric CSR adjacency: neighbours of `i` are `columns[rowStart[i] ..< rowStart[i + 1]]`.
    var rowStart: [Int]
    var columns: [Int32]
    var weights: [Double]
    /// `D_i = Σ_j A_ij`.
    var diagonal: [Double]

    var nonzeroCount: Int { columns.count }

    /// - Parameter excluded: cells to leave out (their facets are not estimated): cells with no point
    ///   of their own, whose measure does not respond to their height until it crosses a deficit.
    init(best: [Int32], second: [Int32], gap: [Float], pointCount: Int, targetCount: Int, dimension: Int,
         excluded: [Bool]? = nil) {
        let n = best.count
        let kappa = Double(dimension) / Double(dimension + 1)
        // 1. Points grouped by best target (counting sort).
        var start = [Int](repeating: 0, count: targetCount + 1)
        func kept(_ p: Int) -> Bool {
            guard second[p] >= 0 else { return false }
            if let excluded, excluded[Int(second[p])] || excluded[Int(best[p])] { return false }
            return true
        }
        for p in 0..<n where kept(p) { start[Int(best[p]) + 1] += 1 }
        for i in 0..<targetCount { start[i + 1] += start[i] }
        var fill = start
        var partner = [Int32](repeating: 0, count: start[targetCount])
        var gapOf = [Float](repeating: 0, count: start[targetCount])
        for p in 0..<n where kept(p) {
            let i = Int(best[p])
            partner[fill[i]] = second[p]
            gapOf[fill[i]] = gap[p]
            fill[i] += 1
        }
        // 2. Per facet (unordered pair), the gaps seen from both sides, grouped by the lower index.
        struct Observation { var low: Int32; var high: Int32; var gap: Float }
        var observations: [Observation] = []
        observations.reserveCapacity(start[targetCount])
        for i in 0..<targetCount {
            for k in start[i]..<start[i + 1] {
                let j = partner[k]
                observations.append(Observation(low: min(Int32(i), j), high: max(Int32(i), j), gap: gapOf[k]))
            }
        }
        observations.sort { $0.low != $1.low ? $0.low < $1.low : ($0.high != $1.high ? $0.high < $1.high : $0.gap < $1.gap) }
        // 3. Per facet: with δ = (mean gap of the pair's points)/4, the slab estimate
        //    A ≈ #{gap < δ} / (2 N δ) (both sides of the facet hold a slab of width δ/|y_i - y_j|).
        var edgeLow: [Int32] = [], edgeHigh: [Int32] = [], edgeWeight: [Double] = []
        let total = Double(pointCount)
        var k = 0
        while k < observations.count {
            let low = observations[k].low, high = observations[k].high
            var end = k, sum = 0.0
            while end < observations.count && observations[end].low == low && observations[end].high == high {
                sum += Double(observations[end].gap); end += 1
            }
            let count = end - k
            // Slab estimate when the pair has enough points for a slab; the pyramid estimate
            // (every point, shape assumed) for the few-point pairs of small cells.
            let delta = 0.25 * sum / Double(count)
            var inside = 0
            while k + inside < end && Double(observations[k + inside].gap) < delta { inside += 1 }
            let weight: Double
            if inside >= FacetHessian.slabMinimum {
                weight = Double(inside) / (2 * total * delta)
            } else {
                weight = kappa * Double(count) * Double(count) / (total * max(sum, 1e-12 * Double(count))) / 2
            }
            if weight > 0 { edgeLow.append(low); edgeHigh.append(high); edgeWeight.append(weight) }
            k = end
        }
        self.init(targetCount: targetCount, edgeLow: edgeLow, edgeHigh: edgeHigh, edgeWeight: edgeWeight)
    }

    /// The Laplacian of given facet weights `A_ij` (edges `low < high`, each pair once), e.g. the
    /// exact ones of `PowerDiagram2D`. Stored as symmetric CSR.
    init(targetCount: Int, edgeLow: [Int32], edgeHigh: [Int32], edgeWeight: [Double]) {
        size = targetCount
        var degree = [Int](repeating: 0, count: targetCount + 1)
        for e in 0..<edgeLow.count { degree[Int(edgeLow[e]) + 1] += 1; degree[Int(edgeHigh[e]) + 1] += 1 }
        for i in 0..<targetCount { degree[i + 1] += degree[i] }
        rowStart = degree
        var next = degree
        columns = [Int32](repeating: 0, count: degree[targetCount])
        weights = [Double](repeating: 0, count: degree[targetCount])
        diagonal = [Double](repeating: 0, count: targetCount)
        for e in 0..<edgeLow.count {
            let a = Int(edgeLow[e]), b = Int(edgeHigh[e]), w = edgeWeight[e]
            columns[next[a]] = Int32(b); weights[next[a]] = w; next[a] += 1
            columns[next[b]] = Int32(a); weights[next[b]] = w; next[b] += 1
            diagonal[a] += w; diagonal[b] += w
        }
    }

    /// `y = (L + diag(shift)) x` with `L = D - A`.
    func multiply(_ x: [Double], shift: [Double], into y: inout [Double]) {
        rowStart.withUnsafeBufferPointer { rows in
            columns.withUnsafeBufferPointer { cols in
                weights.withUnsafeBufferPointer { w in
                    x.withUnsafeBufferPointer { xs in
                        y.withUnsafeMutableBufferPointer { ys in
                            for i in 0..<size {
                                var sum = (diagonal[i] + shift[i]) * xs[i]
                                for e in rows[i]..<rows[i + 1] { sum -= w[e] * xs[Int(cols[e])] }
                                ys[i] = sum
                            }
                        }
                    }
                }
            }
        }
    }

    /// Solves `(L + diag(shift)) x = b` by conjugate gradients with the Jacobi preconditioner, to a
    /// relative residual `tolerance` or `maxIterations`. `shift > 0` makes the system definite.
    func solve(_ b: [Double], shift: [Double], tolerance: Double, maxIterations: Int) -> (x: [Double], iterations: Int, residual: Double) {
        var x = [Double](repeating: 0, count: size)
        var r = b
        var z = [Double](repeating: 0, count: size)
        var inverse = [Double](repeating: 0, count: size)
        for i in 0..<size { inverse[i] = 1 / (diagonal[i] + shift[i]) }
        for i in 0..<size { z[i] = r[i] * inverse[i] }
        var p = z
        var q = [Double](repeating: 0, count: size)
        var rz = 0.0, bNorm = 0.0
        for i in 0..<size { rz += r[i] * z[i]; bNorm += b[i] * b[i] }
        bNorm = bNorm.squareRoot()
        if bNorm == 0 { return (x, 0, 0) }
        var iterations = 0, residual = 1.0
        while iterations < maxIterations {
            multiply(p, shift: shift, into: &q)
            var pq = 0.0
            for i in 0..<size { pq += p[i] * q[i] }
            if !(pq > 0) { break }
            let alpha = rz / pq
            var rNorm = 0.0
            for i in 0..<size {
                x[i] += alpha * p[i]
                r[i] -= alpha * q[i]
                rNorm += r[i] * r[i]
            }
            iterations += 1
            residual = rNorm.squareRoot() / bNorm
            if residual <= tolerance { break }
            var rzNew = 0.0
            for i in 0..<size { z[i] = r[i] * inverse[i]; rzNew += r[i] * z[i] }
            let beta = rzNew / rz
            rz = rzNew
            for i in 0..<size { p[i] = z[i] + beta * p[i] }
        }
        return (x, iterations, residual)
    }
}

extension FacetHessian {
    /// The connected component of every target in the facet graph (isolated targets are their own).
    func components() -> [Int] {
        var parent = Array(0..<size)
        func find(_ i: Int) -> Int {
            var root = i
            while parent[root] != root { root = parent[root] }
            var node = i
            while parent[node] != root { let next = parent[node]; parent[node] = root; node = next }
            return root
        }
        for i in 0..<size {
            for e in rowStart[i]..<rowStart[i + 1] {
                let a = find(i), b = find(Int(columns[e]))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        return (0..<size).map { find($0) }
    }
}
