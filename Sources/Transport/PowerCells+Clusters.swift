extension PowerCells {
    /// Targets grouped into clusters of 16 (one SIMD group) for pruning in low dimension: a
    /// cluster `k` with centre `c_k` and radius `r_k = max |y_i - c_k|` cannot hold a score above
    ///
    ///   `b_k(x) = <x, c_k> + r_k |x| + max_{i ∈ k} h_i`
    ///
    /// (Cauchy–Schwarz), so a point skips every cluster whose bound is below its current second-best
    /// score. In two dimensions a point's best targets are in a few nearby clusters: most of the
    /// work is the bounds, 1/16 of the full scores.
    ///
    /// Clusters are the leaves of a k-d tree (median splits on the widest axis, at multiples of 16).
    final class Clusters: @unchecked Sendable {
        /// Number of clusters `K`, and `K` rounded up to 16 (bounds are computed 16 at a time).
        let count: Int
        let paddedCount: Int
        /// Target slots: `16 K`, cluster `k` in `16k ..< 16k + 16`.
        let slots: Int
        /// Column-major `d × slots` coordinates in cluster order, zero in empty slots.
        let columns: UnsafeMutablePointer<Float>
        /// The target in each slot, -1 for empty slots.
        let original: UnsafeMutablePointer<Int32>
        /// Column-major `d × paddedCount` centres and their radii (rounded up).
        let centres: UnsafeMutablePointer<Float>
        let radii: UnsafeMutablePointer<Float>
        /// The largest target norm, for the rounding margin of the bounds.
        let largestNorm: Float

        init(targets: [Float], dimension d: Int) {
            let m = targets.count / d
            var leaves: [[Int]] = []
            func build(_ indices: [Int]) {
                if indices.count <= 16 { leaves.append(indices); return }
                var widest = 0, widestSpread: Float = -1
                for j in 0..<d {
                    var low = Float.infinity, high = -Float.infinity
                    for i in indices { low = min(low, targets[i * d + j]); high = max(high, targets[i * d + j]) }
                    if high - low > widestSpread { widestSpread = high - low; widest = j }
                }
                let sorted = indices.sorted {
                    let a = targets[$0 * d + widest], b = targets[$1 * d + widest]
                    return a != b ? a < b : $0 < $1
                }
                let split = max(16, (sorted.count / 2 + 15) / 16 * 16)
                build(Array(sorted[..<split]))
                build(Array(sorted[split...]))
            }
            build(Array(0..<m))
            count = leaves.count
            paddedCount = (count + 15) / 16 * 16
            slots = 16 * count
            var columns = [Float](repeating: 0, count: d * slots)
            var original = [Int32](repeating: -1, count: slots)
            var centres = [Float](repeating: 0, count: d * paddedCount)
            var radii = [Float](repeating: 0, count: paddedCount)
            var largest: Float = 0
            for (k, leaf) in leaves.enumerated() {
                var centre = [Double](repeating: 0, count: d)
                for i in leaf { for j in 0..<d { centre[j] += Double(targets[i * d + j]) } }
                for j in 0..<d { centre[j] /= Double(leaf.count) }
                var radius = 0.0
                for (slot, i) in leaf.enumerated() {
                    original[16 * k + slot] = Int32(i)
                    var squared = 0.0, norm = 0.0
                    for j in 0..<d {
                        let v = targets[i * d + j]
                        columns[j * slots + 16 * k + slot] = v
                        let e = Double(v) - centre[j]
                        squared += e * e
                        norm += Double(v) * Double(v)
                    }
                    radius = max(radius, squared.squareRoot())
                    largest = max(largest, Float(norm.squareRoot()))
                }
                for j in 0..<d { centres[j * paddedCount + k] = Float(centre[j]) }
                radii[k] = Float(radius).nextUp.nextUp
            }
            self.columns = .allocate(capacity: columns.count)
            self.columns.initialize(from: columns, count: columns.count)
            self.original = .allocate(capacity: original.count)
            self.original.initialize(from: original, count: original.count)
            self.centres = .allocate(capacity: centres.count)
            self.centres.initialize(from: centres, count: centres.count)
            self.radii = .allocate(capacity: radii.count)
            self.radii.initialize(from: radii, count: radii.count)
            largestNorm = largest
        }

        deinit {
            columns.deallocate(); original.deallocate(); centres.deallocate(); radii.deallocate()
        }
    }

    /// Writes the cluster-ordered heights and each cluster's largest height after the padded
    /// original-order heights (see `paddedHeights`): `heights[paddedCount ..< paddedCount + slots]`
    /// and then `paddedCount` cluster maxima (-∞ for padding).
    func fillClusterHeights(_ buffer: UnsafeMutablePointer<Float>) {
        guard let clusters else { return }
        let slotHeights = buffer + paddedCount, maxima = slotHeights + clusters.slots
        for s in 0..<clusters.slots {
            let i = clusters.original[s]
            slotHeights[s] = i >= 0 ? buffer[Int(i)] : -.infinity
        }
        var largestMagnitude: Float = 0
        for k in 0..<clusters.paddedCount {
            var largest = -Float.infinity
            if k < clusters.count { for s in (16 * k)..<(16 * k + 16) { largest = max(largest, slotHeights[s]) } }
            maxima[k] = largest
            if largest.isFinite { largestMagnitude = max(largestMagnitude, abs(largest)) }
        }
        maxima[clusters.paddedCount] = largestMagnitude
    }

    /// Extra Floats `paddedHeights` appends for the clusters (slots, maxima, and `max |h|`).
    var clusterHeightCount: Int { clusters.map { $0.slots + $0.paddedCount + 1 } ?? 0 }

    /// Top-2 of one point with cluster pruning (ties: lowest target index).
    @inline(__always)
    func prunedTop2(point: UnsafePointer<Float>, heights: UnsafePointer<Float>, bounds: UnsafeMutablePointer<Float>,
                    clusters: Clusters,
                    best: inout Float, bestIndex: inout Int32, second: inout Float, secondIndex: inout Int32) {
        let d = dimension, slots = clusters.slots, padded = clusters.paddedCount, clusterCount = clusters.count
        let slotHeights = heights + paddedCount, maxima = slotHeights + slots
        let columns = UnsafeRawPointer(clusters.columns), original = clusters.original
        let centreBytes = UnsafeRawPointer(clusters.centres), radiusBytes = UnsafeRawPointer(clusters.radii)
        let maximumBytes = UnsafeRawPointer(maxima), boundBytes = UnsafeRawPointer(bounds)
        var norm: Float = 0
        for j in 0..<d { norm += point[j] * point[j] }
        norm = norm.squareRoot()
        // Bounds, 4 clusters at a time (the package is built for baseline x86-64: 4-wide vectors),
        // and the largest.
        let n4 = SIMD4<Float>(repeating: norm)
        var largest = SIMD4<Float>(repeating: -.infinity)
        var k = 0
        while k < padded {
            let o = k &* 4
            var b = maximumBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                + radiusBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * n4
            for j in 0..<d {
                b += SIMD4<Float>(repeating: point[j])
                    * centreBytes.loadUnaligned(fromByteOffset: (j &* padded &+ k) &* 4, as: SIMD4<Float>.self)
            }
            UnsafeMutableRawPointer(bounds).storeBytes(of: b, toByteOffset: o, as: SIMD4<Float>.self)
            largest = pointwiseMax(largest, b)
            k &+= 4
        }
        // Float rounding of the bounds and scores stays far below this margin.
        let margin = 1e-5 * (norm * clusters.largestNorm + maxima[padded] + 1e-30)
        var bestValue = -Float.infinity, secondValue = -Float.infinity
        var bestAt: Int32 = -1, secondAt: Int32 = -1

        @inline(__always) func score(_ cluster: Int) {
            let base = 16 &* cluster
            let heightBytes = UnsafeRawPointer(slotHeights + base)
            var v0 = heightBytes.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self)
            var v1 = heightBytes.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
            var v2 = heightBytes.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
            var v3 = heightBytes.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
            for j in 0..<d {
                let o = (j &* slots &+ base) &* 4
                let x = SIMD4<Float>(repeating: point[j])
                v0 += x * columns.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                v1 += x * columns.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
                v2 += x * columns.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
                v3 += x * columns.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
            }
            let limit = SIMD4<Float>(repeating: secondValue)
            if !any((v0 .>= limit) .| (v1 .>= limit) .| (v2 .>= limit) .| (v3 .>= limit)) { return }
            for lane in 0..<16 {
                let s = lane < 4 ? v0[lane] : lane < 8 ? v1[lane &- 4] : lane < 12 ? v2[lane &- 8] : v3[lane &- 12]
                let index = original[base &+ lane]
                if index < 0 { continue }
                if s > bestValue || (s == bestValue && index < bestAt) {
                    secondValue = bestValue; secondAt = bestAt
                    bestValue = s; bestAt = index
                } else if s > secondValue || (s == secondValue && (secondAt < 0 || index < secondAt)) {
                    secondValue = s; secondAt = index
                }
            }
        }

        // The most promising cluster first (its scores set a good second best), then every cluster
        // whose bound reaches the second best, found 4 at a time.
        let top = largest.max()
        var first = 0
        while bounds[first] != top { first &+= 1 }
        score(first)
        k = 0
        while k < padded {
            let limit = SIMD4<Float>(repeating: secondValue - margin)
            let group = boundBytes.loadUnaligned(fromByteOffset: k &* 4, as: SIMD4<Float>.self)
            if any(group .>= limit) {
                for lane in 0..<4 {
                    let kk = k &+ lane
                    if kk != first && kk < clusterCount && bounds[kk] >= secondValue - margin { score(kk) }
                }
            }
            k &+= 4
        }
        best = bestValue; bestIndex = bestAt; second = secondValue; secondIndex = secondAt
    }
}
