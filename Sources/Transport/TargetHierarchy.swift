/// A binary coarse-to-fine hierarchy of the targets for the multiscale solver (after Mérigot 2011).
///
/// Built top-down: every group of two or more targets is split in two by 2-means (4 Lloyd
/// iterations from two far-apart seeds), which follows the gaps between clusters; a lopsided split
/// (a side with under a tenth of the group) is replaced by the weighted-median split along the same
/// axis, which keeps the depth near `log2 M`. Level `ℓ` holds the groups at depth `ℓ`, plus the
/// single targets that became leaves higher up (carried down unchanged); the last level is the
/// problem's own targets, in their order. A group's site is the weighted mean of its targets and its
/// weight their sum, so every level is a valid semi-discrete problem.
///
/// Why binary: inside a parent's cell, two children split it along one hyperplane, which can be
/// placed at the quantile that gives each child its share of the parent's mass (see
/// `SemiDiscreteSolver.multiscaleStart`); with more children no such direct placement exists and
/// children in the middle of a tight group start with nearly empty cells.
///
/// - Complexity: O(M·d·log M) time, O(M·d) memory per level.
struct TargetHierarchy {
    struct Level {
        /// Sites, row-major `count × d`.
        var sites: [Float]
        /// Weights, summing to 1.
        var weights: [Double]
        /// For each site, its parent in the previous (coarser) level; empty on level 0.
        var parent: [Int32]
        var count: Int { weights.count }
    }

    var levels: [Level]
    let dimension: Int

    init(targets: [Float], weights: [Double], dimension d: Int) {
        dimension = d
        let count = weights.count
        // Groups are contiguous ranges of `order` (a permutation of the target indices).
        var order = Array(0..<count)
        var groups: [Range<Int>] = [0..<count]
        var built: [Level] = []
        var parentOfGroup: [Int32] = []
        while true {
            // The level of the current groups.
            var sites = [Float](repeating: 0, count: groups.count * d)
            var groupWeights = [Double](repeating: 0, count: groups.count)
            for (g, range) in groups.enumerated() {
                var mean = [Double](repeating: 0, count: d), mass = 0.0
                for k in range {
                    let i = order[k], w = weights[i]
                    mass += w
                    for j in 0..<d { mean[j] += w * Double(targets[i * d + j]) }
                }
                groupWeights[g] = mass
                for j in 0..<d { sites[g * d + j] = Float(mean[j] / mass) }
            }
            if groups.allSatisfy({ $0.count == 1 }) { break }
            built.append(Level(sites: sites, weights: groupWeights, parent: parentOfGroup))
            // Split every group of two or more.
            var next: [Range<Int>] = [], nextParent: [Int32] = []
            for (g, range) in groups.enumerated() {
                if range.count == 1 {
                    next.append(range); nextParent.append(Int32(g))
                    continue
                }
                let middle = TargetHierarchy.split(range, order: &order, targets: targets, weights: weights, dimension: d)
                next.append(range.lowerBound..<middle); nextParent.append(Int32(g))
                next.append(middle..<range.upperBound); nextParent.append(Int32(g))
            }
            groups = next
            parentOfGroup = nextParent
        }
        // The final level: the targets in their own order, each pointing to its group above.
        var finalParent = [Int32](repeating: 0, count: count)
        if count > 1 {
            for (g, range) in groups.enumerated() { finalParent[order[range.lowerBound]] = parentOfGroup[g] }
        } else {
            finalParent = []
        }
        built.append(Level(sites: targets, weights: weights, parent: finalParent))
        levels = built
    }

    /// Reorders `order[range]` so its two halves are the two children; returns the split index.
    static func split(_ range: Range<Int>, order: inout [Int], targets: [Float], weights: [Double], dimension d: Int) -> Int {
        if range.count == 2 { return range.lowerBound + 1 }
        func distanceSquared(_ a: Int, _ centre: [Double]) -> Double {
            var s = 0.0
            for j in 0..<d { let v = Double(targets[a * d + j]) - centre[j]; s += v * v }
            return s
        }
        func point(_ a: Int) -> [Double] { (0..<d).map { Double(targets[a * d + $0]) } }
        // 2-means seeds: the farthest target from the first, then the farthest from that one.
        var first = point(order[range.lowerBound]), farthest = -1.0
        var second = first
        for k in range { let a = order[k], s = distanceSquared(a, first); if s > farthest { farthest = s; second = point(a) } }
        farthest = -1
        for k in range { let a = order[k], s = distanceSquared(a, second); if s > farthest { farthest = s; first = point(a) } }
        // A few Lloyd iterations.
        for _ in 0..<4 {
            var sumA = [Double](repeating: 0, count: d), sumB = [Double](repeating: 0, count: d)
            var massA = 0.0, massB = 0.0
            for k in range {
                let a = order[k], w = weights[a]
                if distanceSquared(a, first) <= distanceSquared(a, second) {
                    massA += w; for j in 0..<d { sumA[j] += w * Double(targets[a * d + j]) }
                } else {
                    massB += w; for j in 0..<d { sumB[j] += w * Double(targets[a * d + j]) }
                }
            }
            if massA == 0 || massB == 0 { break }
            first = sumA.map { $0 / massA }
            second = sumB.map { $0 / massB }
        }
        // The 2-means partition (it follows the gaps between clusters, so no group straddles two
        // clusters); if it is lopsided (a side under a tenth of the group) the median split along
        // the same axis instead, which keeps the depth near log2 M. Ties by index: deterministic.
        var axis = (0..<d).map { first[$0] - second[$0] }
        if axis.allSatisfy({ $0 == 0 }) { axis[0] = 1 }
        var keyed = range.map { k -> (Double, Int) in
            let a = order[k]
            var p = 0.0
            for j in 0..<d { p += axis[j] * Double(targets[a * d + j]) }
            return (p, a)
        }
        keyed.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var cut = keyed.filter { distanceSquared($0.1, first) <= distanceSquared($0.1, second) }.count
        if cut * 10 < keyed.count || (keyed.count - cut) * 10 < keyed.count {
            var total = 0.0
            for (_, a) in keyed { total += weights[a] }
            var running = 0.0
            cut = 1
            for (index, (_, a)) in keyed.enumerated() {
                running += weights[a]
                if running >= total / 2 { cut = index + 1; break }
            }
        }
        cut = min(max(cut, 1), keyed.count - 1)
        // The first `cut` in projection order are the 2-means side of `first` when the partition is
        // linear (two centres: it is, the bisector is a hyperplane normal to the axis).
        for (offset, (_, a)) in keyed.enumerated() { order[range.lowerBound + offset] = a }
        return range.lowerBound + cut
    }
}
