/// Heights expressed in the basis of a binary `TargetHierarchy`: one coordinate `t_n` per split
/// group `n` with halves `a`, `b` (weights normalised to `w_a + w_b = 1`), which raises the
/// targets of `a` by `w_b t_n` and lowers those of `b` by `w_a t_n`:
///
///   `h_i = Σ_{n ∋ i} ±(share) t_n`,   `t_n = mean_ν(h on a) - mean_ν(h on b)`.
///
/// The map is linear, invertible on ν-centred heights, and keeps `Σ ν_i h_i = 0`. Its coordinates are
/// the natural modes of the problem: `t_n` moves the facet between the two halves of group `n`
/// and nothing else inside it, so one step size per coordinate, proportional to that facet's own
/// scale, suits every level at once (a multiscale preconditioner, like a wavelet basis).
///
/// - Complexity: O(M) per transform (each level once).
struct HierarchicalBasis {
    /// Per level ℓ ≥ 1 and group c: the coordinate of its parent's split (-1: carried unsplit) and
    /// its share (`w_b` for the first half, `-w_a` for the second).
    private var node: [[Int32]]
    private var share: [[Double]]
    private var parent: [[Int32]]
    private var levelCounts: [Int]
    /// Number of coordinates (split groups).
    let coordinateCount: Int
    /// `|y_a - y_b|` for each coordinate.
    let separation: [Double]
    /// Weight of each split group.
    let groupWeight: [Double]

    init(hierarchy: TargetHierarchy) {
        let d = hierarchy.dimension
        var node: [[Int32]] = [[]], share: [[Double]] = [[]], parent: [[Int32]] = [[]]
        var separation: [Double] = [], groupWeight: [Double] = []
        levelCounts = hierarchy.levels.map { $0.count }
        var coordinates = 0
        for l in 1..<max(1, hierarchy.levels.count) {
            let level = hierarchy.levels[l], above = hierarchy.levels[l - 1]
            var first = [Int](repeating: -1, count: above.count), second = [Int](repeating: -1, count: above.count)
            for c in 0..<level.count {
                let p = Int(level.parent[c])
                if first[p] < 0 { first[p] = c } else { second[p] = c }
            }
            var levelNode = [Int32](repeating: -1, count: level.count)
            var levelShare = [Double](repeating: 0, count: level.count)
            for p in 0..<above.count where second[p] >= 0 {
                let a = first[p], b = second[p]
                let total = level.weights[a] + level.weights[b]
                levelNode[a] = Int32(coordinates); levelShare[a] = level.weights[b] / total
                levelNode[b] = Int32(coordinates); levelShare[b] = -level.weights[a] / total
                var squared = 0.0
                for j in 0..<d {
                    let v = Double(level.sites[a * d + j]) - Double(level.sites[b * d + j]); squared += v * v
                }
                separation.append(squared.squareRoot())
                groupWeight.append(total)
                coordinates += 1
            }
            node.append(levelNode); share.append(levelShare); parent.append(level.parent)
        }
        self.node = node
        self.share = share
        self.parent = parent
        self.coordinateCount = coordinates
        self.separation = separation
        self.groupWeight = groupWeight
    }

    /// `h = B t` (heights of the final level).
    func heights(from t: [Double]) -> [Double] {
        var values = [Double](repeating: 0, count: levelCounts[0])
        for l in 1..<levelCounts.count {
            var next = [Double](repeating: 0, count: levelCounts[l])
            for c in 0..<levelCounts[l] {
                let n = node[l][c]
                next[c] = values[Int(parent[l][c])] + (n >= 0 ? share[l][c] * t[Int(n)] : 0)
            }
            values = next
        }
        return values
    }

    /// `Bᵀ g`: the gradient with respect to the coordinates from the gradient with respect to `h`.
    func coordinates(ofGradient gradient: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: coordinateCount)
        var sums = gradient
        for l in stride(from: levelCounts.count - 1, through: 1, by: -1) {
            var above = [Double](repeating: 0, count: levelCounts[l - 1])
            for c in 0..<levelCounts[l] {
                let n = node[l][c]
                if n >= 0 { result[Int(n)] += share[l][c] * sums[c] }
                above[Int(parent[l][c])] += sums[c]
            }
            sums = above
        }
        return result
    }

    /// The coordinates `t` of heights `h` (up to a constant): `t_n = mean_ν(h on a) - mean_ν(h on b)`.
    func coordinates(ofHeights heights: [Double], weights: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: coordinateCount)
        var weighted = zip(heights, weights).map { $0 * $1 }
        var mass = weights
        for l in stride(from: levelCounts.count - 1, through: 1, by: -1) {
            var aboveWeighted = [Double](repeating: 0, count: levelCounts[l - 1])
            var aboveMass = [Double](repeating: 0, count: levelCounts[l - 1])
            for c in 0..<levelCounts[l] {
                let n = node[l][c]
                if n >= 0 {
                    // + mean on a for the first half (positive share), - mean on b for the second.
                    result[Int(n)] += (share[l][c] > 0 ? 1 : -1) * weighted[c] / mass[c]
                }
                aboveWeighted[Int(parent[l][c])] += weighted[c]
                aboveMass[Int(parent[l][c])] += mass[c]
            }
            weighted = aboveWeighted; mass = aboveMass
        }
        return result
    }
}
